// heads: the stages that end a pipeline, as layers on the op set (every backend).
#include "loom/sdk/plugin.hpp"

#include "heads.hpp"

LOOM_PLUGIN("heads", "0.1.0", "Loom project",
            LOOM_LAYER(loom::heads::Pooling),
            LOOM_LAYER(loom::heads::L2Normalize),
            LOOM_LAYER(loom::heads::Classifier))
