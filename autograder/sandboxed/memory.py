"""Peak memory of the tensors a piece of code creates, on any device, CPU included.

torch counts peak memory only on accelerators (torch.cuda.max_memory_allocated). On a CPU the
process's resident size is too coarse (the allocator keeps freed pages, and torch's own import
dwarfs a probe), so this counts what matters for an algorithm's memory: the bytes of every
tensor storage that an operation creates while the block runs, from the moment the operation
returns until the last tensor holding it is gone. The peak is the largest such total.

How: a TorchDispatchMode sees every aten operation's outputs. A storage it has not seen before
is recorded with a weak reference (torch's StorageWeakRef, which expires exactly when the storage
is freed), and after each operation the expired ones are dropped and the live ones summed.
Memory can only grow when an operation returns a new tensor, so checking after each operation
finds the true peak of what it tracks. It also keeps the largest single storage made: a peak can be
padded with memory made on purpose, but a full n × n score matrix shows as one storage whatever else
is held beside it. Not tracked: the inputs (created before the block) and a
fused kernel's internal scratch space, which never becomes a tensor.

It also counts the multiply-adds of the matrix products it sees (mm, bmm, addmm, baddbmm and the
fused attention kernels): attention that really ran through torch did at least the n_q · n_k · d of
QKᵀ. Work done where the mode cannot see it (numpy, torch with the mode switched off, another thread: a
mode is per thread) leaves that count near zero, and `verified()` refuses a counter whose totals were changed by hand. Code under test
runs in the same process, so this raises the bar rather than closing every way round it.

It imports only torch, so it runs beside student code in the sandbox, in a notebook and in the
benchmarks alike.
"""
import torch
from torch.multiprocessing.reductions import StorageWeakRef
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves


class PeakMemory(TorchDispatchMode):
    """with PeakMemory() as memory: ...; memory.peak is the most bytes held at once by tensors made inside."""

    @classmethod
    def _should_skip_dynamo(cls):
        # torch wraps a mode's __torch_dispatch__ in torch._dynamo.disable by default, which imports
        # dynamo (about 2 s) on the first operation; nothing here runs under torch.compile
        return False

    def __init__(self, *existing):
        super().__init__()
        # storages that exist already (the inputs) are never counted, even when a view of them comes back
        self._outside = {tensor.untyped_storage().data_ptr() for tensor in tree_leaves(existing)
                         if isinstance(tensor, torch.Tensor)}
        self._live = {}  # data_ptr -> (weak reference, bytes)
        self.current = 0
        self.peak = 0
        self.largest = 0  # bytes of the largest storage made
        self.multiply_adds = 0

    def __enter__(self):
        # One intra-op thread while counting: memory does not depend on it, and with the mode's Python
        # between every operation, worker threads spinning for the next parallel region slowed a probe
        # from 0.07 s to 4 to 8 s on a busy two-core machine.
        self._threads = torch.get_num_threads()
        torch.set_num_threads(1)
        return super().__enter__()

    def __exit__(self, *exc):
        try:
            return super().__exit__(*exc)
        finally:
            torch.set_num_threads(self._threads)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        result = func(*args, **(kwargs or {}))
        self.multiply_adds += _multiply_adds(func, args)
        self._forget_freed()
        for tensor in tree_leaves(result):
            if isinstance(tensor, torch.Tensor) and tensor.device.type != "meta":
                storage = tensor.untyped_storage()
                pointer, size = storage.data_ptr(), storage.nbytes()
                if size and pointer not in self._outside and pointer not in self._live:
                    self._live[pointer] = (StorageWeakRef(storage), size)
                    self.current += size
                    self.largest = max(self.largest, size)
        self.peak = max(self.peak, self.current)
        return result

    def verified(self):
        """(peak, multiply_adds, largest), once the block has ended; ValueError if the totals no longer add up
        (changed by the code that was measured)."""
        self._forget_freed()
        live = sum(size for _, size in self._live.values())
        if (self.current != live or not 0 <= self.current <= self.peak or self.multiply_adds < 0
                or not max((size for _, size in self._live.values()), default=0) <= self.largest <= self.peak):
            raise ValueError("the memory counter was changed by the code it measured")
        return self.peak, self.multiply_adds, self.largest

    def _forget_freed(self):
        for pointer, (reference, size) in list(self._live.items()):
            if reference.expired():
                del self._live[pointer]
                self.current -= size


_PRODUCTS = {"mm", "bmm", "addmm", "baddbmm"}
_FUSED = ("_scaled_dot_product",)


def _multiply_adds(func, args):
    """The multiply-adds of one matrix product (or fused attention) from its inputs' shapes; 0 for anything else."""
    name = func.__name__.split(".")[0]
    shapes = [tuple(arg.shape) for arg in args if isinstance(arg, torch.Tensor)]
    if name in _PRODUCTS and len(shapes) >= 2:
        first, second = shapes[-2], shapes[-1]  # addmm and baddbmm take the added tensor first
        if len(first) >= 2 and len(second) >= 2:
            batch = 1
            for size in first[:-2]:
                batch *= size
            return batch * first[-2] * first[-1] * second[-1]
    if name.startswith(_FUSED) and len(shapes) >= 3 and all(len(shape) >= 2 for shape in shapes[:3]):
        query, key, value = shapes[:3]
        batch = 1
        for size in query[:-2]:
            batch *= size
        return batch * query[-2] * key[-2] * (query[-1] + value[-1])
    return 0


def peak_bytes(function, *args, **kwargs):
    """(result, peak): what function(*args, **kwargs) returns, and the most bytes its new tensors held at once."""
    with PeakMemory(args, kwargs) as memory:
        result = function(*args, **kwargs)
    return result, memory.peak
