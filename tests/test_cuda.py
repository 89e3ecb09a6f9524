"""The part 1 models on CUDA: both implementations against cuDNN, CUDA-graph training against eager training (both
with the Triton kernels), and seeds trained together in one graph against seeds trained alone.

Skipped without a CUDA device.
"""
import pytest
import torch
from torch import nn

from part1.config import TrainConfig
from part1.lstm import LSTM
from part1.sweep.together import train_together
from part1.train import train
from part1.vanilla_rnn import VanillaRNN
from tests.helpers import check_against_pytorch, without_timing

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.fixture(autouse=True)
def exact_cudnn():
    """cuDNN may use TF32 matmuls by default; the comparison needs full float32."""
    before = torch.backends.cudnn.allow_tf32
    torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cudnn.allow_tf32 = before


@pytest.mark.parametrize("impl", ["fast", "reference"])
@pytest.mark.parametrize("kind", ["RNN", "LSTM"])
def test_matches_cudnn(kind, impl):
    check_against_pytorch(kind, impl, device="cuda", batch=64, steps=40)


@pytest.mark.parametrize("kind", ["RNN", "LSTM"])
def test_fast_equals_reference_at_full_size(kind):
    """The fused Triton cell and the batched weight gradient, at the training size (T 100, batch 128, n 128)."""
    torch.manual_seed(0)
    cls = VanillaRNN if kind == "RNN" else LSTM
    fast = cls(100, 10, 128, 10, device="cuda")
    reference = cls(100, 10, 128, 10, device="cuda", impl="reference")
    reference.load_state_dict(fast.state_dict())
    x = nn.functional.one_hot(torch.randint(0, 10, (128, 100), device="cuda"), 10).float()
    y = torch.randint(0, 10, (128,), device="cuda")
    for model in (fast, reference):
        nn.functional.cross_entropy(model(x), y).backward()
    for (name, p), q in zip(fast.named_parameters(), reference.parameters()):
        assert torch.allclose(p.grad, q.grad, rtol=1e-4, atol=1e-6), name


@pytest.mark.parametrize("kind", ["RNN", "LSTM"])
def test_cuda_graph_training_equals_eager_training(kind):
    config = TrainConfig(model_type=kind, input_length=20, input_dim=10, train_steps=60, eval_size=512, print_every=0,
                         device="cuda")
    graphed, graphed_model = train(config.replace(cuda_graph="auto"), progress=False)
    eager, eager_model = train(config.replace(cuda_graph="off"), progress=False)
    assert graphed["backend"] == eager["backend"] == "triton"
    assert abs(graphed["train_loss"] - eager["train_loss"]) < 1e-5
    for p, q in zip(graphed_model.parameters(), eager_model.parameters()):
        assert torch.allclose(p, q, atol=1e-5)


@pytest.mark.parametrize("kind", ["RNN", "LSTM"])
def test_seeds_trained_together_in_one_graph_equal_seeds_trained_alone(kind):
    """The graph's branches run the kernels a run alone runs, so records and parameters match bit for bit."""
    configs = [TrainConfig(model_type=kind, input_length=20, input_dim=10, train_steps=400, min_steps=200,
                           conv_eps=2e-3, eval_size=512, print_every=0, device="cuda", seed=seed) for seed in (1, 2, 3)]
    together = train_together(configs, progress=False)
    for (record, model), config in zip(together, configs):
        record_alone, model_alone = train(config, progress=False)
        assert without_timing(record) == without_timing(record_alone)
        for (name, p), q in zip(model.named_parameters(), model_alone.parameters()):
            assert torch.equal(p, q), name
