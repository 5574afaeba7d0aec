// Everything a Loom host program needs.
#pragma once

#include "loom/backend.hpp"
#include "loom/error.hpp"
#include "loom/layer.hpp"
#include "loom/log.hpp"
#include "loom/npy.hpp"
#include "loom/pipeline.hpp"
#include "loom/plugin_manager.hpp"
#include "loom/safetensors.hpp"
#include "loom/tensor.hpp"
#include "loom/tokenizer.hpp"
#include "loom/version.hpp"
