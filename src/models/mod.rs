//! Models: non-neural reference readers, the neural reader, byte-level language models and the
//! token classifier of LLMLingua-2-style compression.

pub mod baselines;
pub mod checkpoint;
pub mod device;
pub mod epochs;
pub mod gguf;
pub mod llama;
pub mod lm;
pub mod reader;
pub mod selection;
pub mod soft;
pub mod token_classifier;
pub mod tokenizer;
pub mod words;

/// Serialises seeding and initialisation: the backend's random generator is global, so two
/// models initialised at once (tests, or a library user coding two files in parallel) could
/// otherwise draw each other's numbers, and an adaptive decoder would start from other weights.
/// Every model initialisation in runner goes through here.
static SEEDED_INIT: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Seeds `device`'s generator, never in the middle of another thread's [`seeded`]
/// initialisation (which would then draw from the new seed: tests train models side by side).
pub fn seed_device(device: &burn::tensor::Device, seed: u64) {
    let _guard = SEEDED_INIT.lock().unwrap_or_else(|e| e.into_inner());
    burn::tensor::Device::seed(device, seed);
}

/// Serialises the unit tests that draw from the backend's global generator (initialisation,
/// dropout): run side by side, one test's draws shift another's numbers, and tests that compare
/// two trainings bit for bit would fail now and then. (A run is a process of its own.)
#[cfg(test)]
pub(crate) fn draws_alone() -> std::sync::MutexGuard<'static, ()> {
    static DRAWS: std::sync::Mutex<()> = std::sync::Mutex::new(());
    DRAWS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Builds a module with `init` right after seeding the generator with `seed`, and draws
/// every parameter's values before returning (burn initialises parameters lazily, at their
/// first use, which would otherwise happen outside the lock). The values are drawn on the CPU
/// and moved to `device`: the same seed gives the same initial weights on every backend (GPU
/// backends' generators draw other numbers).
pub fn seeded<M: burn::module::Module>(
    device: &burn::tensor::Device,
    seed: u64,
    init: impl FnOnce(&burn::tensor::Device) -> M,
) -> M {
    let _guard = SEEDED_INIT.lock().unwrap_or_else(|e| e.into_inner());
    let on_cpu = device::backend_of(device) == device::Backend::Flex;
    let home = match (on_cpu, device.is_autodiff()) {
        (true, _) => device.clone(),
        (false, true) => burn::tensor::Device::flex().autodiff(),
        (false, false) => burn::tensor::Device::flex(),
    };
    burn::tensor::Device::seed(&home, seed);
    let module = init(&home);
    module.visit(&mut Materialize);
    let module = module.map(&mut NumberParams(0));
    if on_cpu {
        module
    } else {
        // `fork`, not `to_device`: the moved parameters are leaves of the device's own graph.
        module.fork(device)
    }
}

/// Gives parameters the ids 0, 1, 2, ... in visiting order. burn draws each parameter's id at
/// random, and saved weights carry the ids: numbered, the same model saves to the same bytes.
struct NumberParams(u64);

impl NumberParams {
    fn next<T: burn::module::ParameterValue>(
        &mut self,
        param: burn::module::Param<T>,
    ) -> burn::module::Param<T> {
        let (_, value, mapper) = param.consume();
        self.0 += 1;
        burn::module::Param::from_mapped_value(burn::module::ParamId::from(self.0), value, mapper)
    }
}

impl burn::module::ModuleMapper for NumberParams {
    fn map_float<const D: usize>(
        &mut self,
        param: burn::module::Param<burn::tensor::Tensor<D>>,
    ) -> burn::module::Param<burn::tensor::Tensor<D>> {
        self.next(param)
    }

    fn map_int<const D: usize>(
        &mut self,
        param: burn::module::Param<burn::tensor::Tensor<D, burn::tensor::Int>>,
    ) -> burn::module::Param<burn::tensor::Tensor<D, burn::tensor::Int>> {
        self.next(param)
    }

    fn map_bool<const D: usize>(
        &mut self,
        param: burn::module::Param<burn::tensor::Tensor<D, burn::tensor::Bool>>,
    ) -> burn::module::Param<burn::tensor::Tensor<D, burn::tensor::Bool>> {
        self.next(param)
    }
}

/// The device a module's parameters live on, without autodiff: code that runs a model
/// computes where the model is (the device chosen once for the run and passed down).
pub fn device_of<M: burn::module::Module>(module: &M) -> burn::tensor::Device {
    module
        .devices()
        .into_iter()
        .next()
        .map_or_else(device::cpu, burn::tensor::Device::without_autodiff)
}

/// Touches every float parameter, which makes lazy ones draw their values.
struct Materialize;

impl burn::module::ModuleVisitor for Materialize {
    fn visit_float<const D: usize>(
        &mut self,
        param: &burn::module::Param<burn::tensor::Tensor<D>>,
    ) {
        let _ = param.val();
    }
}
