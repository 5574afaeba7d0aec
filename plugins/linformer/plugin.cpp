// linformer: linformer_self_attention (the `linformer` package's
// LinformerSelfAttention), written only against the backend op set
// (backend "any"), so it runs on every backend.
#include "loom/sdk/plugin.hpp"

#include "linformer_layer.hpp"

LOOM_PLUGIN("linformer", "0.1.0", "Loom project", LOOM_LAYER(loom::linformer::LinformerSelfAttention))
