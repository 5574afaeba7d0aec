"""Trains the toy sentiment classifier of examples/pipelines/text_classifier and
writes its vocab, weights, shipped input text and PyTorch's expected output.

wordpiece (vocab: BERT's specials, characters and the corpus's words) -> embedding(V, 32)
-> transformer encoder layer (d 32, 4 heads, ff 64, batch_first, padding mask)
-> mean pooling over real tokens -> linear classifier (negative, positive).

The training data are templated sentences (subject x intensifier x adjective):
the model is a demonstration of a text pipeline, not a sentiment model to use.

Regenerate (identical bytes each time): /work/venv/bin/python make_text_classifier.py
Pinned: torch 2.15.0, tokenizers 0.23.3, safetensors 0.8.0, numpy 2.4.6;
fixed seeds, one CPU thread, float32.
"""
import itertools
import json
import os
import random

import numpy as np
import torch
from safetensors.torch import save_file
from tokenizers import BertWordPieceTokenizer
from tokenizers.pre_tokenizers import BertPreTokenizer

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "text_classifier")

SUBJECTS = ["the movie", "this film", "the book", "the food", "the service", "our trip", "the concert",
            "this phone", "the hotel", "the game", "the show", "her new album", "the lecture", "the coffee"]
POSITIVE = ["great", "wonderful", "excellent", "amazing", "delightful", "fantastic", "brilliant", "lovely",
            "superb", "enjoyable", "charming", "good"]
NEGATIVE = ["terrible", "awful", "boring", "horrible", "disappointing", "dreadful", "poor", "bad", "painful",
            "dull", "mediocre", "annoying"]
INTENSIFIERS = ["", "really ", "truly ", "very ", "absolutely ", "rather ", "quite "]
TEMPLATES = ["{s} was {i}{a}.", "I thought {s} was {i}{a}!", "{s} is {i}{a}", "Honestly, {s} felt {i}{a}.",
             "{s}? {i}{a}."]

# The shipped input: held-out wordings, mixed case, punctuation, and lines
# whose words the vocab has never seen (they become [UNK]).
INPUT_LINES = [
    "The concert was absolutely brilliant!",
    "Honestly, the hotel felt rather dreadful.",
    "this phone is quite enjoyable",
    "THE LECTURE WAS VERY BORING.",
    "Our trip? Truly wonderful.",
    "The coffee was mediocre, the service was awful.",
    "The movie was great.",
    "나는 학교에 간다",
]


def corpus():
    rows = []
    for s, i, t in itertools.product(SUBJECTS, INTENSIFIERS, TEMPLATES):
        for a in POSITIVE:
            rows.append((t.format(s=s, i=i, a=a).capitalize(), 1))
        for a in NEGATIVE:
            rows.append((t.format(s=s, i=i, a=a).capitalize(), 0))
    random.Random(0).shuffle(rows)
    return rows


class Model(torch.nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, 32)
        self.encoder = torch.nn.TransformerEncoderLayer(32, 4, dim_feedforward=64, dropout=0.1, batch_first=True)
        self.head = torch.nn.Linear(32, 2)

    def forward(self, ids, mask):
        h = self.encoder(self.embed(ids), src_key_padding_mask=mask == 0)
        m = mask.unsqueeze(-1)
        pooled = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return self.head(pooled)


def batch(tok, texts):
    enc = tok.encode_batch(texts)
    width = max(len(e.ids) for e in enc)
    ids = torch.zeros(len(texts), width, dtype=torch.int64)
    mask = torch.zeros(len(texts), width, dtype=torch.float32)
    for r, e in enumerate(enc):
        ids[r, :len(e.ids)] = torch.tensor(e.ids)
        mask[r, :len(e.ids)] = 1
    return ids, mask


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    os.makedirs(HERE, exist_ok=True)
    rows = corpus()
    texts = [t for t, _ in rows]

    # The vocab, built deterministically (the tokenizers trainer breaks ties
    # differently from run to run): BERT's specials, every character alone and
    # as a ## continuation, then every word of the corpus.
    words = sorted({w for t in texts for w, _ in BertPreTokenizer().pre_tokenize_str(t.lower())})
    chars = sorted({c for t in texts for c in t.lower() if not c.isspace()})
    vocab_list = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + chars + ["##" + c for c in chars]
    vocab_list += [w for w in words if w not in vocab_list]
    vocab_file = os.path.join(HERE, "vocab.txt")
    with open(vocab_file, "w", encoding="utf-8") as f:
        f.write("\n".join(vocab_list) + "\n")
    tok = BertWordPieceTokenizer(vocab_file, lowercase=True)
    vocab = tok.get_vocab()

    split = len(rows) * 9 // 10
    train, held_out = rows[:split], rows[split:]
    model = Model(len(vocab))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for epoch in range(3):
        for start in range(0, len(train), 32):
            chunk = train[start:start + 32]
            ids, mask = batch(tok, [t for t, _ in chunk])
            loss = torch.nn.functional.cross_entropy(model(ids, mask), torch.tensor([y for _, y in chunk]))
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        ids, mask = batch(tok, [t for t, _ in held_out])
        accuracy = (model(ids, mask).argmax(-1) == torch.tensor([y for _, y in held_out])).float().mean().item()
        print(f"{len(train)} training sentences, held-out accuracy {accuracy:.3f}")

        # Expected output: each line alone (no padding), as Loom's result must
        # not depend on how it batches and pads.
        probs, ids_per_line = [], []
        for line in INPUT_LINES:
            e = tok.encode(line)
            ids_per_line.append(e.ids)
            logits = model(torch.tensor([e.ids]), torch.ones(1, len(e.ids)))
            probs.append(torch.softmax(logits, -1)[0])
        expected = torch.stack(probs)

    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(state, os.path.join(HERE, "weights.safetensors"))
    with open(os.path.join(HERE, "input.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(INPUT_LINES) + "\n")
    np.save(os.path.join(HERE, "expected.npy"), expected.numpy())
    with open(os.path.join(HERE, "expected_ids.jsonl"), "w", encoding="utf-8") as f:
        for ids in ids_per_line:
            f.write(json.dumps(ids) + "\n")
    print("vocab", len(vocab), "expected labels", expected.argmax(-1).tolist())


if __name__ == "__main__":
    main()
