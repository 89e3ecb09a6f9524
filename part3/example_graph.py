"""The assignment's six-node graph (question 3.2) and how far messages travel: python -m part3.example_graph."""
from dataclasses import dataclass

import torch

from uvadl2019.cli import Config, parse_into, run_main
from part3.gcn import GCN, normalize_adjacency

NODES = "ABCDEF"
EDGES = ["AB", "AE", "AF", "BC", "BD", "CD", "DF", "EF"]


def adjacency():
    """The undirected graph's adjacency matrix, rows and columns in the order A..F."""
    A = torch.zeros(len(NODES), len(NODES))
    for u, v in EDGES:
        A[NODES.index(u), NODES.index(v)] = A[NODES.index(v), NODES.index(u)] = 1.0
    return A


def influence(source, target, num_layers, seed=0):
    """||d output[target] / d input[source]|| of a random num_layers GCN with one-hot node features."""
    torch.manual_seed(seed)
    model = GCN([len(NODES)] * (num_layers + 1), dropout=0.0, activation=torch.tanh)
    X = torch.eye(len(NODES), requires_grad=True)
    model(X, normalize_adjacency(adjacency()))[NODES.index(target)].sum().backward()
    return X.grad[NODES.index(source)].norm().item()


@dataclass(frozen=True)
class ExampleGraphConfig(Config):
    """The six-node graph's command has no options."""


def main(argv=None):
    parse_into(ExampleGraphConfig, argv, "python -m part3.example_graph", __doc__.splitlines()[0])
    A_tilde = adjacency() + torch.eye(len(NODES))
    print("A~ = A + I (rows and columns A..F):")
    for name, row in zip(NODES, A_tilde.int().tolist()):
        print(f"  {name}  {''.join(map(str, row))}")
    print("Influence of C's input on E's output, ||d h_E / d x_C||, random GCN with tanh:")
    for layers in range(1, 5):
        print(f"  {layers} layer(s): {influence('C', 'E', layers):.3e}")
    print("C and E are three edges apart (C-B-A-E), so only from the third layer on does C reach E.")


if __name__ == "__main__":
    run_main(main, "part3.example_graph")
