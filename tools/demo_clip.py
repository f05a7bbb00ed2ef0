"""demo_clip.py: the demo CLIP's modules for PyTorch (OpenAI CLIP's computation under
transformers' CLIPModel parameter names) and its export folder read back.

Used by tools/train-demo-model.py (training, export, --check-parity); a developer tool
(Debian's python3-torch): the app, its build and its tests never import it.
"""

import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from safetensors_np import read_safetensors


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Attention(nn.Module):
    """nn.MultiheadAttention's computation with separate q/k/v projections, as transformers stores them."""

    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.q_proj = nn.Linear(width, width)
        self.k_proj = nn.Linear(width, width)
        self.v_proj = nn.Linear(width, width)
        self.out_proj = nn.Linear(width, width)

    def forward(self, x, mask=None):
        b, t, c = x.shape
        h, d = self.heads, c // self.heads
        q = self.q_proj(x).view(b, t, h, d).transpose(1, 2) * (d ** -0.5)
        k = self.k_proj(x).view(b, t, h, d).transpose(1, 2)
        v = self.v_proj(x).view(b, t, h, d).transpose(1, 2)
        scores = q @ k.transpose(-1, -2)
        if mask is not None:
            scores = scores + mask
        out = scores.softmax(-1) @ v
        return self.out_proj(out.transpose(1, 2).reshape(b, t, c))


class MLP(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc1 = nn.Linear(width, 4 * width)
        self.act = QuickGELU()
        self.fc2 = nn.Linear(4 * width, width)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    """Pre-LN residual block: x + attn(ln1(x)), then x + mlp(ln2(x))."""

    def __init__(self, width, heads):
        super().__init__()
        self.layer_norm1 = nn.LayerNorm(width, eps=1e-5)
        self.self_attn = Attention(width, heads)
        self.layer_norm2 = nn.LayerNorm(width, eps=1e-5)
        self.mlp = MLP(width)

    def forward(self, x, mask=None):
        x = x + self.self_attn(self.layer_norm1(x), mask)
        return x + self.mlp(self.layer_norm2(x))


class Encoder(nn.Module):
    def __init__(self, width, layers, heads):
        super().__init__()
        self.layers = nn.ModuleList([Block(width, heads) for _ in range(layers)])

    def forward(self, x, mask=None):
        for layer in self.layers:
            x = layer(x, mask)
        return x


class VisionEmbeddings(nn.Module):
    def __init__(self, g):
        super().__init__()
        w, p = g["vision_width"], g["patch_size"]
        self.class_embedding = nn.Parameter(torch.randn(w) * w ** -0.5)
        self.patch_embedding = nn.Conv2d(3, w, p, stride=p, bias=False)
        n = (g["image_size"] // p) ** 2 + 1
        self.position_embedding = nn.Embedding(n, w)
        nn.init.normal_(self.position_embedding.weight, std=w ** -0.5)

    def forward(self, pixels):
        x = self.patch_embedding(pixels).flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        return torch.cat([cls, x], 1) + self.position_embedding.weight


class VisionModel(nn.Module):
    def __init__(self, g):
        super().__init__()
        w = g["vision_width"]
        self.embeddings = VisionEmbeddings(g)
        self.pre_layrnorm = nn.LayerNorm(w, eps=1e-5)  # sic: transformers' name
        self.encoder = Encoder(w, g["vision_layers"], g["vision_heads"])
        self.post_layernorm = nn.LayerNorm(w, eps=1e-5)

    def tokens(self, pixels):
        """The last layer's states: the class token, then one per patch."""
        return self.encoder(self.pre_layrnorm(self.embeddings(pixels)))

    def pooled(self, states):
        """The image's feature from tokens(): the class token, layer-normed (as CLIP)."""
        return self.post_layernorm(states[:, 0])

    def forward(self, pixels):
        return self.pooled(self.tokens(pixels))


class TextEmbeddings(nn.Module):
    def __init__(self, g, vocab_size):
        super().__init__()
        w = g["text_width"]
        self.token_embedding = nn.Embedding(vocab_size, w)
        self.position_embedding = nn.Embedding(g["context_length"], w)
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.position_embedding.weight, std=0.01)


class TextModel(nn.Module):
    def __init__(self, g, vocab_size):
        super().__init__()
        w = g["text_width"]
        self.embeddings = TextEmbeddings(g, vocab_size)
        self.encoder = Encoder(w, g["text_layers"], g["text_heads"])
        self.final_layer_norm = nn.LayerNorm(w, eps=1e-5)

    def forward(self, ids):
        t = ids.shape[1]
        x = self.embeddings.token_embedding(ids) + self.embeddings.position_embedding.weight[:t]
        mask = torch.full((t, t), float("-inf")).triu(1)
        x = self.final_layer_norm(self.encoder(x, mask))
        # OpenAI pools at the largest id: the end token, last in the vocabulary.
        return x[torch.arange(ids.shape[0]), ids.argmax(-1)]


def sincos_2d(side, width):
    """MAE's fixed 2-D sine-cosine position embedding, (side², width)."""
    quarter = width // 4
    omega = 1.0 / 10000 ** (torch.arange(quarter, dtype=torch.float32) / quarter)
    ys, xs = torch.meshgrid(torch.arange(side, dtype=torch.float32), torch.arange(side, dtype=torch.float32),
                            indexing="ij")
    parts = []
    for coord in (xs.flatten(), ys.flatten()):
        angle = coord[:, None] * omega[None, :]
        parts += [angle.sin(), angle.cos()]
    return torch.cat(parts, 1)


def mimetic_attention(attn, heads, a_qk=0.7, b_qk=0.7, a_vo=0.4, b_vo=0.4):
    """Each head's W_q·W_kᵀ ≈ a_qk·Z + b_qk·I and the layer's W_o·W_v ≈ a_vo·Z − b_vo·I (Z random)."""
    w = attn.q_proj.in_features
    d = w // heads
    for h in range(heads):
        z = torch.randn(w, w) / w ** 0.5
        u, s, vt = torch.linalg.svd(a_qk * z + b_qk * torch.eye(w))
        root = s[:d].sqrt()
        attn.q_proj.weight[h * d:(h + 1) * d] = (u[:, :d] * root).t()
        attn.k_proj.weight[h * d:(h + 1) * d] = vt[:d] * root[:, None]
    z = torch.randn(w, w) / w ** 0.5
    u, s, vt = torch.linalg.svd(a_vo * z - b_vo * torch.eye(w))
    attn.out_proj.weight.copy_(u * s.sqrt())
    attn.v_proj.weight.copy_(s.sqrt()[:, None] * vt)


class CLIP(nn.Module):
    def __init__(self, g, vocab_size):
        super().__init__()
        self.g = g
        self.vision_model = VisionModel(g)
        self.text_model = TextModel(g, vocab_size)
        self.visual_projection = nn.Linear(g["vision_width"], g["embed_dim"], bias=False)
        self.text_projection = nn.Linear(g["text_width"], g["embed_dim"], bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        # OpenAI's initialisation of the residual branches, scaled by depth.
        for tower, layers in ((self.vision_model, g["vision_layers"]), (self.text_model, g["text_layers"])):
            width = tower.encoder.layers[0].mlp.fc1.in_features
            proj_std = width ** -0.5 * (2 * layers) ** -0.5
            for block in tower.encoder.layers:
                for lin in (block.self_attn.q_proj, block.self_attn.k_proj, block.self_attn.v_proj):
                    nn.init.normal_(lin.weight, std=width ** -0.5)
                    nn.init.zeros_(lin.bias)
                nn.init.normal_(block.self_attn.out_proj.weight, std=proj_std)
                nn.init.zeros_(block.self_attn.out_proj.bias)
                nn.init.normal_(block.mlp.fc1.weight, std=(2 * width) ** -0.5)
                nn.init.zeros_(block.mlp.fc1.bias)
                nn.init.normal_(block.mlp.fc2.weight, std=proj_std)
                nn.init.zeros_(block.mlp.fc2.bias)
        nn.init.normal_(self.visual_projection.weight, std=g["vision_width"] ** -0.5)
        nn.init.normal_(self.text_projection.weight, std=g["text_width"] ** -0.5)

    def local_vision_init(self):
        """Starts the ViT with a sense of locality, which it otherwise learns slowly from little data.

        The patch position embeddings start as 2-D sines and cosines, so
        nearby patches start with similar embeddings, and the attention
        weights start "mimetic" (Trockman & Kolter, 2023): W_q·W_kᵀ near a
        positive multiple of the identity, so a patch first attends to
        patches like itself and near it, and W_v·W_o near a negative one, as
        in trained ViTs. Only the starting point changes; the architecture
        and the loss are CLIP's.
        """
        g = self.g
        w, side = g["vision_width"], g["image_size"] // g["patch_size"]
        with torch.no_grad():
            pos = self.vision_model.embeddings.position_embedding.weight
            pos[1:] = sincos_2d(side, w) * 0.5
            for block in self.vision_model.encoder.layers:
                mimetic_attention(block.self_attn, g["vision_heads"])

    def encode_image(self, pixels):
        return F.normalize(self.visual_projection(self.vision_model(pixels)), dim=-1)

    def encode_text(self, ids):
        return F.normalize(self.text_projection(self.text_model(ids)), dim=-1)



def hf_state(model):
    """name → float32 numpy array, in transformers' names (the modules already use them)."""
    out = {}
    for name, tensor in model.state_dict().items():
        out[name] = tensor.detach().float().numpy()
    out["logit_scale"] = np.array(model.logit_scale.item(), dtype=np.float32)
    return out



def load_model(model_dir):
    """The exported model (F16 weights widened to float32) back into the torch modules."""
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    t, v = cfg["text_config"], cfg["vision_config"]
    g = dict(
        image_size=v["image_size"], patch_size=v["patch_size"],
        vision_width=v["hidden_size"], vision_layers=v["num_hidden_layers"],
        vision_heads=v["num_attention_heads"], text_width=t["hidden_size"],
        text_layers=t["num_hidden_layers"], text_heads=t["num_attention_heads"],
        context_length=t["max_position_embeddings"], embed_dim=cfg["projection_dim"],
    )
    model = CLIP(g, t["vocab_size"])
    state = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    logit_scale = state.pop("logit_scale")
    model.load_state_dict({k: torch.from_numpy(a) for k, a in state.items()}, strict=False)
    with torch.no_grad():
        model.logit_scale.fill_(float(logit_scale))
    missing = set(model.state_dict()) - set(state) - {"logit_scale"}
    if missing:
        raise RuntimeError(f"{model_dir}: missing {sorted(missing)}")
    return model.eval(), g

