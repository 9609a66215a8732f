"""Distillation: the teachers' soft targets and the blended loss."""

import pytest
import torch
import torch.nn.functional as F

from training import distill
from training.distill import TEMPERATURE, distilled_loss, teacher_probabilities
from training.train_mnist import main


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Two dry-run digit models: the teachers."""
    root = tmp_path_factory.mktemp("store")
    main(["mnist-rnn-128", "mnist-gru-128"], root, {}, None, dry_run=True)
    return root


def test_weight_zero_is_plain_cross_entropy():
    logits, labels = torch.randn(8, 10), torch.randint(0, 10, (8,))
    teacher = torch.rand(8, 10).softmax(1)
    assert torch.allclose(distilled_loss(logits, labels, teacher, 0.0), F.cross_entropy(logits, labels))


def test_the_soft_term_vanishes_when_the_student_matches_its_teacher():
    logits, labels = torch.randn(8, 10), torch.randint(0, 10, (8,))
    matched = distilled_loss(logits, labels, (logits / TEMPERATURE).softmax(1), 1.0)
    assert matched.abs() < 1e-5
    assert distilled_loss(logits, labels, torch.full((8, 10), 0.1), 1.0) > 1e-3


def test_teachers_exclude_the_student_and_average_their_probabilities(store):
    images = torch.randint(0, 256, (10, 28, 28), dtype=torch.uint8)
    probabilities, teachers = teacher_probabilities(store, images, exclude="mnist-rnn-128")
    assert list(teachers) == ["mnist-gru-128"] and len(teachers["mnist-gru-128"]) == 64
    assert probabilities.shape == (10, 10) and torch.allclose(probabilities.sum(1), torch.ones(10))
    both, _ = teacher_probabilities(store, images, exclude="none")
    assert not torch.allclose(both, probabilities)
    with pytest.raises(FileNotFoundError):
        teacher_probabilities(store / "mnist-gru-128", images, exclude="x")


def test_a_distilled_dry_run_records_its_teachers(store, tmp_path, monkeypatch):
    monkeypatch.setattr(distill, "STORE", store)
    monkeypatch.setattr("training.train_mnist.STORE", store)
    (card,) = main(["mnist-rnn-256"], tmp_path, {"distill": 0.5}, None, dry_run=True)
    assert card["training"]["recipe"]["distill"] == 0.5
    assert set(card["training"]["teachers"]) == {"mnist-rnn-128", "mnist-gru-128"}
