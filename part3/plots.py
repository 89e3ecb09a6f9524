"""The karate-club figure: the GCN's hidden embedding of every member, in 2-D, at several epochs."""
import torch

from uvadl2019.figures import finish_figure, panels


def project_2d(H):
    """The rows of H (N, F) on their two principal axes."""
    H = H - H.mean(dim=0)
    _, _, V = torch.linalg.svd(H, full_matrices=False)
    return H @ V[:2].t()


def plot_embeddings(embeddings, labels, labelled, path=None):
    """One panel per epoch: members at their 2-D projected embedding, coloured by community, labelled ones ringed;
    the Figure, saved as PNG at `path` when given."""
    fig, axes = panels(len(embeddings), 3.3, 3.4)
    for ax, (epoch, hidden) in zip(axes, sorted(embeddings.items())):
        points = project_2d(hidden)
        ax.scatter(points[:, 0], points[:, 1], c=labels, cmap="tab10", vmin=0, vmax=9, s=40)
        ax.scatter(points[labelled, 0], points[labelled, 1], s=160, facecolors="none", edgecolors="black")
        ax.set_title(f"epoch {epoch}")
        ax.set_xticks([])
        ax.set_yticks([])
    return finish_figure(fig, "Karate club: hidden GCN layer on its two principal axes "
                              "(colour: community; ringed: the 4 labelled members)", path)
