// longformer: longformer_self_attention (Hugging Face's
// LongformerSelfAttention), written only against the backend op set
// (backend "any"), so it runs on every backend.
#include "loom/sdk/plugin.hpp"

#include "longformer_layer.hpp"

LOOM_PLUGIN("longformer", "0.1.0", "Loom project", LOOM_LAYER(loom::longformer::LongformerSelfAttention))
