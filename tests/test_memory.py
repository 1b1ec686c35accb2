"""Does the sandbox's peak-memory counter count what an algorithm holds, on a CPU where torch has no counter?"""
import torch

from autograder.sandboxed.memory import PeakMemory, peak_bytes


def test_peak_counts_new_tensors_not_inputs_and_forgets_freed_ones():
    """Is an input never counted, a view never counted twice, and a freed tensor's memory given back before the peak?"""
    x = torch.zeros(1000, dtype=torch.float64)  # 8,000 bytes, made outside
    with PeakMemory(x) as memory:
        x[:10].clone()  # 80 bytes, freed at once
        y = x.view(10, 100)  # a view of the input: nothing new
        for _ in range(5):
            z = torch.ones(500, dtype=torch.float64)  # 4,000 bytes each, made while the previous z still lives
        w = z[:250] * 2  # 2,000 more while z lives
    assert memory.peak == 4000 + 4000  # two z at once beat z and w
    assert y.shape == (10, 100) and w.shape == (250,)


def test_peak_grows_with_the_square_for_a_full_score_matrix():
    """Does the counter see an n × n score matrix grow fourfold when n doubles?"""
    def scores(q):
        return torch.softmax(q @ q.T, dim=-1).sum()

    _, small = peak_bytes(scores, torch.randn(100, 4))
    _, large = peak_bytes(scores, torch.randn(200, 4))
    assert 3.5 < large / small < 4.5


def test_the_counter_sees_the_products_and_refuses_totals_changed_by_hand():
    """Does the counter count a matrix product's multiply-adds, see none of work done outside it, and refuse
    totals that the measured code rewrote?"""
    q, k = torch.randn(30, 4), torch.randn(20, 4)
    with PeakMemory(q, k) as memory:
        q @ k.T
    assert memory.verified()[1] == 30 * 20 * 4
    with PeakMemory(q, k) as memory:
        torch.from_numpy(q.numpy() @ k.numpy().T).clone()
    assert memory.verified()[1] == 0
    with PeakMemory(q, k) as memory:
        (q @ k.T).sum()
        memory.peak, memory.current = 16, -10 ** 15
    try:
        memory.verified()
        raise AssertionError("a counter changed by hand was accepted")
    except ValueError as error:
        assert "changed" in str(error)


def test_the_largest_storage_shows_a_full_matrix_whatever_is_held_beside_it():
    """Memory made on purpose can pad a peak, so that two peaks grow in the ratio of tiles: does the counter's
    largest storage still show the n × n matrix that one product makes, and only the largest one?"""
    q, k = torch.randn(64, 4), torch.randn(64, 4)
    with PeakMemory(q, k) as memory:
        padding = torch.empty(1 << 20)
        scores = q @ k.T
        del padding, scores
        torch.zeros(10)
    peak, _, largest = memory.verified()
    assert largest == 4 << 20 and peak >= largest + 64 * 64 * 4
    with PeakMemory(q, k) as memory:
        (q[:16] @ k.T).sum()
    assert memory.verified()[2] == 16 * 64 * 4
