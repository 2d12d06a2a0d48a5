//! Quantisation-aware fine-tuning support: a module's "view" with every tensor the ternary
//! method would compress at its ternary value (absmean scale times a trit), computed as
//! `w + (q(w) − w).detach()`: the value is q(w), the gradient flows to the latent w unchanged
//! (the straight-through estimator). Take the gradients from the latent module.

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::Tensor;

use super::codec::method_for;
use super::method::Method;

struct Ternarise;

impl ModuleMapper for Ternarise {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.map(|w| {
            if method_for(Method::Ternary, &w.dims()) != Method::Ternary {
                return w;
            }
            let latent = w.clone().detach();
            let gamma = latent
                .clone()
                .abs()
                .mean()
                .clamp_min(1e-8)
                .into_scalar::<f32>();
            let q = (latent.clone() / gamma)
                .round()
                .clamp(-1.0, 1.0)
                .mul_scalar(gamma);
            // The value of q, the gradient of w: (q − w) is held constant.
            w + (q - latent)
        })
    }
}

/// `module` with its ternary-compressed tensors at their ternary values (others unchanged).
pub fn ternary_view<M: Module + Clone>(module: &M) -> M {
    module.clone().map(&mut Ternarise)
}
