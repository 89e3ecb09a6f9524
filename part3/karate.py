"""Semi-supervised node classification on Zachary's karate club with a two-layer GCN: python -m part3.karate.

One member of each of the four communities is labelled; the GCN, with identity features, labels the rest.
"""
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from uvadl2019.checks import check_at_least, check_positive, check_seeds
from uvadl2019.cli import Config, option, parse_into, run_main
from uvadl2019.device import resolve_device
from uvadl2019.files import ensure_writable_dir
from part3.gcn import GCN, normalize_adjacency
from part3.plots import plot_embeddings

DATA = Path(__file__).resolve().parent / "data" / "karate_club.txt"
LABELLED = [0, 4, 8, 24]  # one member per community, as in PyTorch Geometric's KarateClub
HIDDEN = 16


def load_karate_club(path=DATA):
    """(adjacency (34, 34), community labels (34,)) from the shipped edge list."""
    labels, edges = None, []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith("labels "):
            labels = torch.tensor([int(v) for v in line.split()[1:]])
        elif line and not line.startswith("#"):
            edges.append([int(v) for v in line.split()])
    A = torch.zeros(len(labels), len(labels))
    u, v = torch.tensor(edges).t()
    A[u, v] = A[v, u] = 1.0
    return A, labels


def train_karate(epochs=200, lr=0.01, seed=42, snapshots=(0, 10, 30, 100, 200), device="cpu"):
    """Train a 34 -> 16 -> 4 GCN on the four labelled members.

    Returns (accuracy on the other 30 members, {epoch: hidden embedding (34, 16), on the CPU} at the snapshot
    epochs).
    """
    A, labels = load_karate_club()
    A_hat, labels = normalize_adjacency(A).to(device), labels.to(device)
    X = torch.eye(len(labels), device=device)  # identity features: the graph alone carries the information
    torch.manual_seed(seed)  # the weights are drawn on the CPU: the same on every device
    model = GCN([len(labels), HIDDEN, 4], dropout=0.0, activation=torch.tanh).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    train = torch.tensor(LABELLED, device=device)
    embeddings = {}
    for epoch in range(epochs + 1):
        logits, (hidden,) = model(X, A_hat, return_hidden=True)
        if epoch in snapshots:
            embeddings[epoch] = hidden.detach().cpu()
        if epoch == epochs:
            break
        loss = F.cross_entropy(logits[train], labels[train])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    unlabelled = torch.ones(len(labels), dtype=torch.bool, device=device)
    unlabelled[train] = False
    accuracy = (logits.argmax(1) == labels)[unlabelled].float().mean().item()
    return accuracy, embeddings


@dataclass(frozen=True)
class KarateConfig(Config):
    """The karate club's GCN run. Constructing it checks it."""
    epochs: int = option(200, "full-graph training steps (default: 200)")
    lr: float = option(0.01, "Adam learning rate (default: 0.01)")
    seed: int = option(42, "seed of the weights (default: 42)")
    out_dir: str = option("results/part3", "folder of the figure (default: results/part3)")
    device: str = option("auto", "auto (CUDA when present, else CPU), cpu, cuda, cuda:N, or mps for Apple GPUs "
                                 "(default: auto; a 34-node graph trains as fast on the CPU)")

    def check(self):
        check_at_least(1, epochs=self.epochs)
        check_positive(lr=self.lr)
        check_seeds("seed", self.seed)


def main(argv=None):
    args = parse_into(KarateConfig, argv, "python -m part3.karate", __doc__.splitlines()[0])
    device = resolve_device(args.device)
    out_dir = ensure_writable_dir(args.out_dir)
    snapshots = sorted({0, args.epochs // 30, args.epochs // 10, args.epochs // 3, args.epochs})
    accuracy, embeddings = train_karate(args.epochs, args.lr, args.seed, snapshots, device)
    _, labels = load_karate_club()
    plot_embeddings(embeddings, labels, LABELLED, out_dir / "karate_embedding.png")
    print(f"Accuracy on the {len(labels) - len(LABELLED)} unlabelled members: {accuracy:.3f}")
    print(f"Wrote {out_dir / 'karate_embedding.png'}")


if __name__ == "__main__":
    run_main(main, "part3.karate")
