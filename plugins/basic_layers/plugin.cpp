// basic-layers: linear, embedding, layer_norm and activations, written only
// against the backend op set (backend "any"), so they run on every backend.
#include "loom/sdk/plugin.hpp"

#include "activations.hpp"
#include "embedding.hpp"
#include "layer_norm.hpp"
#include "linear.hpp"

LOOM_PLUGIN("basic-layers", "0.1.0", "Loom project",
            LOOM_LAYER(loom::basic::Linear),
            LOOM_LAYER(loom::basic::Embedding),
            LOOM_LAYER(loom::basic::LayerNorm),
            LOOM_LAYER(loom::basic::Relu),
            LOOM_LAYER(loom::basic::Gelu),
            LOOM_LAYER(loom::basic::Tanh),
            LOOM_LAYER(loom::basic::Sigmoid))
