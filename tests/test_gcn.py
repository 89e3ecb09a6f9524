"""part3: adjacency normalisation by hand, the report's graph, PyTorch Geometric parity and the karate demo."""
import math

import pytest
import torch

from part3.example_graph import adjacency, influence
from part3.gcn import GCN, GCNLayer, normalize_adjacency
from tests.helpers import assert_one_line_error, run_cli

PATH3 = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])  # A - B - C


def test_symmetric_normalisation_by_hand():
    # A~ = A + I has degrees 2, 3, 2; A_hat_ij = A~_ij / sqrt(d_i d_j).
    s = 1 / math.sqrt(6)
    expected = torch.tensor([[1 / 2, s, 0.0], [s, 1 / 3, s], [0.0, s, 1 / 2]])
    assert torch.allclose(normalize_adjacency(PATH3), expected)


def test_row_normalisation_by_hand():
    expected = torch.tensor([[1 / 2, 1 / 2, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.0, 1 / 2, 1 / 2]])
    assert torch.allclose(normalize_adjacency(PATH3, mode="row"), expected)
    assert torch.allclose(normalize_adjacency(PATH3, mode="row").sum(1), torch.ones(3))


def test_batched_equals_per_graph():
    torch.manual_seed(0)
    graphs = (torch.rand(4, 5, 5) > 0.5).float()
    graphs = ((graphs + graphs.transpose(1, 2)) > 0).float()
    for mode in ("symmetric", "row"):
        batched = normalize_adjacency(graphs, mode=mode)
        assert torch.allclose(batched, torch.stack([normalize_adjacency(g, mode=mode) for g in graphs]))


def test_isolated_node_divides_by_nothing():
    A = torch.zeros(3, 3)
    A[0, 1] = A[1, 0] = 1.0  # node 2 has no edges
    without_loops = normalize_adjacency(A, add_self_loops=False)
    assert torch.isfinite(without_loops).all() and torch.equal(without_loops[2], torch.zeros(3))
    assert normalize_adjacency(A)[2, 2] == 1.0  # with its self-loop it keeps its own features


def test_bad_graphs_are_rejected_clearly():
    with pytest.raises(ValueError, match="must be square"):
        normalize_adjacency(torch.zeros(3, 4))
    with pytest.raises(ValueError, match="negative edge weights"):
        normalize_adjacency(-PATH3)
    with pytest.raises(ValueError, match="4 nodes but the adjacency has 3"):
        GCNLayer(2, 2)(torch.zeros(4, 2), normalize_adjacency(PATH3))


def test_layer_computes_a_hat_h_w_plus_b_and_has_a_readable_repr():
    torch.manual_seed(0)
    layer = GCNLayer(3, 2)
    with torch.no_grad():
        layer.b.fill_(0.5)
    H = torch.randn(3, 3)
    A_hat = normalize_adjacency(PATH3)
    assert torch.allclose(layer(H, A_hat), A_hat @ H @ layer.W + 0.5)
    assert repr(layer) == "GCNLayer(3 -> 2, bias=True)"
    assert "GCNLayer(2 -> 4, bias=True)" in repr(GCN([3, 2, 4]))


def test_report_example_graph():
    rows = ["110011", "111100", "011100", "011101", "100011", "100111"]  # the report's A~, rows A..F
    expected = torch.tensor([[float(c) for c in row] for row in rows])
    assert torch.equal(adjacency() + torch.eye(6), expected)


def test_c_reaches_e_only_from_the_third_layer():
    assert influence("C", "E", 1) == 0.0
    assert influence("C", "E", 2) == 0.0
    assert influence("C", "E", 3) > 1e-4
    assert influence("B", "E", 2) > 1e-4  # two edges apart: two layers suffice


def test_matches_pytorch_geometric_dense_gcn_conv():
    dense_gcn_conv = pytest.importorskip("torch_geometric.nn").DenseGCNConv
    torch.manual_seed(0)
    A = (torch.rand(2, 7, 7) > 0.6).float()
    A = ((A + A.transpose(1, 2)) > 0).float() * (1 - torch.eye(7))  # no self-loops: DenseGCNConv sets them to 1
    X = torch.randn(2, 7, 5)
    reference = dense_gcn_conv(5, 3)
    with torch.no_grad():
        reference.bias.uniform_(-1, 1)
    ours = GCNLayer(5, 3)
    with torch.no_grad():
        ours.W.copy_(reference.lin.weight.t())
        ours.b.copy_(reference.bias)
    assert torch.allclose(ours(X, normalize_adjacency(A)), reference(X, A), atol=1e-6)


def test_shipped_karate_club_matches_pytorch_geometric():
    karate_club = pytest.importorskip("torch_geometric.datasets").KarateClub
    from part3.karate import LABELLED, load_karate_club
    A, labels = load_karate_club()
    data = karate_club()[0]
    reference = torch.zeros(34, 34)
    reference[data.edge_index[0], data.edge_index[1]] = 1.0
    assert torch.equal(A, reference) and int(A.sum()) == 2 * 78
    assert torch.equal(labels, data.y)
    assert data.train_mask.nonzero().flatten().tolist() == LABELLED


def test_karate_demo_learns_the_communities_and_is_deterministic():
    from part3.karate import train_karate
    accuracy, embeddings = train_karate(seed=42)
    again, embeddings_again = train_karate(seed=42)
    assert accuracy >= 0.7 and accuracy == again
    assert sorted(embeddings) == [0, 10, 30, 100, 200]
    assert torch.equal(embeddings[200], embeddings_again[200])


def test_karate_command_writes_its_figure(tmp_path):
    result = run_cli("-m", "part3.karate", "--epochs", "20", "--out_dir", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "unlabelled members" in result.stdout
    assert (tmp_path / "karate_embedding.png").read_bytes()[:4] == b"\x89PNG"
    assert_one_line_error(run_cli("-m", "part3.karate", "--epochs", "0"), "--epochs must be at least 1")


def test_example_graph_command_prints_the_matrix_and_influences():
    result = run_cli("-m", "part3.example_graph")
    assert result.returncode == 0, result.stderr
    assert "  D  011101" in result.stdout and "3 layer(s)" in result.stdout
