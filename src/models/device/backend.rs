//! The burn backends runner can be built with, and a device one of them reaches.

/// A burn backend runner can be built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// burn's CPU backend (always compiled in).
    Flex,
    /// burn's wgpu backend (Vulkan, Metal or DX12; feature `wgpu`).
    Wgpu,
    /// burn's CUDA backend (feature `cuda`).
    Cuda,
}

impl Backend {
    /// The name used in files, flags and messages (`flex`, `wgpu`, `cuda`).
    pub fn name(self) -> &'static str {
        match self {
            Backend::Flex => "flex",
            Backend::Wgpu => "wgpu",
            Backend::Cuda => "cuda",
        }
    }

    /// The backend of a name written by [`Backend::name`].
    pub fn parse(name: &str) -> Option<Backend> {
        [Backend::Flex, Backend::Wgpu, Backend::Cuda]
            .into_iter()
            .find(|b| b.name() == name)
    }

    /// The name recorded where a result depends on the backend (artifact ids, coded files):
    /// none for the CPU's `flex`, so what the CPU built before backends were recorded keeps
    /// its id and bytes.
    pub fn gpu_name(self) -> Option<&'static str> {
        (self != Backend::Flex).then(|| self.name())
    }

    /// The cargo feature that compiles the backend in (none for flex).
    pub fn feature(self) -> Option<&'static str> {
        match self {
            Backend::Flex => None,
            Backend::Wgpu => Some("wgpu"),
            Backend::Cuda => Some("cuda"),
        }
    }
}

/// The backends compiled into this binary, the CPU's first.
pub fn compiled() -> Vec<Backend> {
    let mut backends = vec![Backend::Flex];
    if cfg!(feature = "wgpu") {
        backends.push(Backend::Wgpu);
    }
    if cfg!(feature = "cuda") {
        backends.push(Backend::Cuda);
    }
    backends
}

/// The backend GPU slots compute on: CUDA when compiled in, else wgpu, else none.
pub fn gpu_backend() -> Option<Backend> {
    compiled().into_iter().rev().find(|b| *b != Backend::Flex)
}

/// One device this build can compute on, for `runner devices`.
#[derive(Debug, Clone, PartialEq)]
pub struct SeenDevice {
    /// The backend that reaches it.
    pub backend: Backend,
    /// The slot label that selects it (`cpu`, `cuda:0`, `wgpu:1`).
    pub label: String,
    /// What it is (the adapter's or the CPU's name).
    pub name: String,
    /// Adapter kind (`cpu`, `discrete GPU`, ...) where the backend says.
    pub kind: String,
    /// Memory in MiB where known (the driver's total for GPUs, the machine's for the CPU).
    pub memory_mib: Option<u64>,
}
