//! A burn module's float parameters as named flat tensors, and back: compression works on
//! plain `f32` slices, whatever the model.

use anyhow::{bail, Result};
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Tensor, TensorData};

/// One parameter: its path in the module, its shape and its values (row-major).
#[derive(Debug, Clone, PartialEq)]
pub struct NamedTensor {
    /// Path such as `encoder.layers.0.linear.weight`.
    pub name: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Values.
    pub values: Vec<f32>,
}

#[derive(Default)]
struct Collector {
    path: Vec<String>,
    out: Vec<NamedTensor>,
}

impl ModuleVisitor for Collector {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let tensor = param.val();
        let shape = tensor.dims().to_vec();
        let values = tensor
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .unwrap_or_default();
        self.out.push(NamedTensor {
            name: self.path.join("."),
            shape,
            values,
        });
    }
}

/// Every float parameter of `module`, in its visiting order.
pub fn collect<M: Module>(module: &M) -> Vec<NamedTensor> {
    let mut c = Collector::default();
    module.visit(&mut c);
    c.out
}

struct Replacer<'a> {
    tensors: &'a [NamedTensor],
    next: usize,
    error: Option<String>,
}

impl ModuleMapper for Replacer<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let i = self.next;
        self.next += 1;
        let Some(t) = self.tensors.get(i) else {
            self.error
                .get_or_insert(format!("the model has more than {i} tensors"));
            return param;
        };
        param.map(|old| {
            let dims = old.dims().to_vec();
            if dims != t.shape {
                self.error.get_or_insert(format!(
                    "tensor {} has shape {:?}, the model expects {dims:?}",
                    t.name, t.shape
                ));
                return old;
            }
            let device = old.device();
            Tensor::from_data(TensorData::new(t.values.clone(), dims), &device)
        })
    }
}

/// `module` with its float parameters replaced by `tensors` (same order and shapes; ids kept).
pub fn replace<M: Module>(module: M, tensors: &[NamedTensor]) -> Result<M> {
    let mut r = Replacer {
        tensors,
        next: 0,
        error: None,
    };
    let module = module.map(&mut r);
    if let Some(e) = r.error {
        bail!(e);
    }
    if r.next != tensors.len() {
        bail!(
            "the file holds {} tensors, the model {}",
            tensors.len(),
            r.next
        );
    }
    Ok(module)
}
