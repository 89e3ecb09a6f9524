"""The checks of a student's TextGenerationModel (part 2), each a function of the loaded TextStudent that returns
(status, message): interface, every weight learns, state and batch, two layers and dropout, initialisation, it
learns (a short repeated text, against the package's own model)."""
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from check_assignment.rnn_checks import attempt, check_initialisation
from check_assignment.student import construct, parameters_of
from part2.model import TextGenerationModel

B, T, H, LAYERS = 16, 20, 64, 2  # batch, characters per window, hidden units and the course's two layers
TEXT = "the people of the united states rule themselves. " * 40  # a short text every working model learns by heart
V = len(set(TEXT))
# The course's constructor: TextGenerationModel(batch_size, seq_length, vocabulary_size, lstm_num_hidden=256,
# lstm_num_layers=2, device='cuda:0'), the later ones optional.
ORDER = ("batch_size", "seq_length", "vocabulary_size", "lstm_num_hidden", "lstm_num_layers", "device")
ORDERS = {n: ORDER[:n] for n in range(3, len(ORDER) + 1)}
# The inputs a student's train.py may give: character indices or one-hot vectors, batch-major or time-major (the
# course's DataLoader yields a list of T batches, which students stack either way).
FORMS = {"indices (B, T)": (False, False), "indices (T, B)": (False, True),
         "one-hot (B, T, V)": (True, False), "one-hot (T, B, V)": (True, True)}
LEARN_STEPS, MARGIN = 300, 0.25  # the student's loss after LEARN_STEPS steps may exceed the package's by MARGIN


@dataclass
class TextStudent:
    """A student's TextGenerationModel class, how to build and call it, and what the interface check found."""
    cls: type
    name: str
    seed: int
    form: str = None  # the input form that works, a key of FORMS

    def build(self, batch_size=B, num_hidden=H, device="cpu"):
        torch.manual_seed(self.seed)
        values = dict(batch_size=batch_size, seq_length=T, vocabulary_size=V, lstm_num_hidden=num_hidden,
                      lstm_num_layers=LAYERS, device=device, dropout_keep_prob=1.0)
        return construct(self.cls, values, ORDERS)

    def constructible(self):
        self.build()
        keep = [p.default for p in parameters_of(self.cls) if p.name == "dropout_keep_prob"]
        return f"{self.name}, the course's constructor" + (f", dropout_keep_prob default {keep[0]}" if keep else "")

    def inputs(self, indices, dtype=torch.float32):
        """The batch (B, T) of character indices in the student's form."""
        one_hot, time_major = FORMS[self.form]
        x = indices.T if time_major else indices
        return F.one_hot(x, V).to(dtype) if one_hot else x

    def logits(self, output):
        """(B, T, V) logits from a forward's output: a tuple's first element, time-major turned batch-major."""
        if isinstance(output, (tuple, list)):
            output = output[0]
        return output.transpose(0, 1) if FORMS[self.form][1] else output


def windows(batch_size, seed, length=T):
    """(inputs, targets) (B, length) of random windows of TEXT, the targets one character later."""
    chars = sorted(set(TEXT))
    data = torch.tensor([chars.index(c) for c in TEXT])
    starts = torch.randint(0, len(TEXT) - length - 1, (batch_size,), generator=torch.Generator().manual_seed(seed))
    rows = starts[:, None] + torch.arange(length + 1)
    return data[rows[:, :-1]], data[rows[:, 1:]]


def check_interface(student):
    """forward on a batch of character windows gives logits (B, T, V), with or without a state, in some form."""
    indices, _ = windows(B, student.seed)
    fitting, errors = [], []
    for form, (_, time_major) in FORMS.items():
        student.form = form
        try:
            model = student.build()
            out = model(student.inputs(indices))
        except Exception as e:
            errors.append(e)
            continue
        logits = out[0] if isinstance(out, (tuple, list)) else out
        expected = (T, B, V) if time_major else (B, T, V)
        if logits.shape == (B * T, V):
            return "fail", f"forward returns {tuple(logits.shape)}, the steps flattened; return {expected}"
        if tuple(logits.shape) != expected:
            errors.append(ValueError(f"forward returns shape {tuple(logits.shape)}, expected {expected}"))
            continue
        fitting.append(form)
        # A time-major model also takes a batch-major batch of this shape, reading batch as time: it is the form
        # in which the other samples' logits ignore a change to the first sample.
        if samples_apart(student, model, indices):
            return "pass", f"{form} input gives logits {expected}" + (" and a state" if logits is not out else "")
    student.form = fitting[0] if fitting else None
    if fitting:
        return "pass", f"{student.form} input gives logits of the right shape"
    raise errors[0]


def samples_apart(student, model, indices):
    """Whether changing the first sample of a batch leaves the logits of the others as they were."""
    changed = indices.clone()
    changed[0] = windows(1, student.seed + 1)[0][0]
    before = student.logits(model(student.inputs(indices)))[1:]
    return torch.allclose(student.logits(model(student.inputs(changed)))[1:], before, rtol=1e-5, atol=1e-6)


def check_gradients(student):
    """After one backward of the mean cross-entropy over every step, every parameter has a non-zero gradient (in
    evaluation mode: dropout is the business of check_layers)."""
    model = student.build().eval()
    parameters = dict(model.named_parameters())
    inputs, targets = windows(B, student.seed)
    F.cross_entropy(student.logits(model(student.inputs(inputs))).flatten(0, 1), targets.flatten()).backward()
    silent = [name for name, p in parameters.items() if p.grad is None or not p.grad.any()]
    if silent:
        return "fail", f"no gradient (or a zero one) reaches {', '.join(silent)}"
    return "pass", f"all {len(parameters)} parameters get a gradient"


def check_state(student):
    """Two forwards agree; a sample ignores the rest of its batch; another batch size and float64 work; a returned
    state continues the text: two halves with the state between them give the logits of one call."""
    inputs, _ = windows(B, student.seed)
    model = student.build()
    first = student.logits(model(student.inputs(inputs)))
    problems = []
    if not torch.allclose(student.logits(model(student.inputs(inputs))), first, rtol=1e-5, atol=1e-6):
        problems.append("a second forward of the same batch gives other logits: is a state kept between calls?")
    if not samples_apart(student, model, inputs):
        problems.append("a sample's logits change with the other samples of its batch: are batch and time "
                        "dimensions mixed up?")
    problems += attempt(lambda: student.logits(model(student.inputs(inputs[:3]))), (3, T, V), first[:3],
                        "a batch of 3, not the constructor's batch_size")
    problems += attempt(lambda: student.logits(model.double()(student.inputs(inputs, torch.float64))), (B, T, V),
                        None, "float64 weights (a state made with a fixed dtype?)", torch.float64)
    model.float()
    out = model(student.inputs(inputs[:, :T // 2]))
    if isinstance(out, (tuple, list)) and len(out) == 2:  # it returns a state: does the next call take it?
        problems += attempt(lambda: torch.cat([student.logits(out), student.logits(
            model(student.inputs(inputs[:, T // 2:]), out[1]))], dim=1), (B, T, V), first,
            "the second half of a batch from the state of the first")
    return ("fail", "; ".join(problems)) if problems else ("pass", "repeatable, per sample, any batch size, dtype")


def check_layers(student):
    """Two LSTM layers (counted in nn.LSTM and nn.LSTMCell modules), and with the course's keep probability 1.0
    training and evaluation modes agree (a keep probability given to nn.LSTM's dropout, a drop probability,
    fails this)."""
    model = student.build()
    layers = sum(m.num_layers if isinstance(m, torch.nn.LSTM) else 1 for m in model.modules()
                 if isinstance(m, (torch.nn.LSTM, torch.nn.LSTMCell)))
    inputs, _ = windows(B, student.seed)
    torch.manual_seed(student.seed)
    training = student.logits(model.train()(student.inputs(inputs)))
    evaluation = student.logits(model.eval()(student.inputs(inputs)))
    problems = [] if layers in (0, LAYERS) else [f"{layers} LSTM layer(s), the course asks for lstm_num_layers = "
                                                 f"{LAYERS}"]
    if not torch.allclose(training, evaluation, rtol=1e-5, atol=1e-6):
        problems.append("with dropout_keep_prob 1.0 the training-mode logits differ from evaluation mode: is the "
                        "keep probability given as nn.LSTM's dropout, which is the probability of dropping?")
    counted = f"{LAYERS} layers" if layers else "layers not counted (no nn.LSTM or nn.LSTMCell)"
    return ("fail", "; ".join(problems)) if problems else ("pass", f"{counted}, no dropout at keep 1.0")


def check_learning(student):
    """Adam at the course's 2e-3 fits TEXT: after LEARN_STEPS steps the mean loss of the last ten is at most MARGIN
    above the package's own model's from the same seed (a model without memory stays near 1)."""
    torch.manual_seed(student.seed)
    ours = final_loss(TextGenerationModel(B, T, V, H, LAYERS), lambda x: x, lambda out: out[0], student.seed)
    theirs = final_loss(student.build(), student.inputs, student.logits, student.seed)
    verdict = "pass" if theirs <= ours + MARGIN else "fail"
    return verdict, f"loss {theirs:.3f} after {LEARN_STEPS} steps on a repeated sentence (the package's: {ours:.3f})"


def final_loss(model, inputs_of, logits_of, seed):
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    losses = []
    for step in range(LEARN_STEPS):
        inputs, targets = windows(B, seed * 100_000 + step)
        optimizer.zero_grad()
        loss = F.cross_entropy(logits_of(model(inputs_of(inputs))).flatten(0, 1), targets.flatten())
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return sum(losses[-10:]) / 10


CHECKS = {"interface": check_interface, "every weight learns": check_gradients, "state and batch": check_state,
          "two layers and dropout": check_layers, "initialisation": check_initialisation,
          "it learns": check_learning}
