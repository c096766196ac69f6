// Typed access to tokenizer JSON fields with errors that name the file and the field.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "engine/util/error.h"

namespace arecipe::text {

inline const nlohmann::json& require_field(const nlohmann::json& j, const char* key,
                                           const std::string& where, const char* context) {
  if (!j.is_object() || !j.contains(key))
    fail(where, std::string(context) + ": missing field '" + key + "'");
  return j.at(key);
}

template <typename T>
T field_or(const nlohmann::json& j, const char* key, T fallback, const std::string& where,
           const char* context) {
  if (!j.is_object() || !j.contains(key) || j.at(key).is_null()) return fallback;
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    fail(where, std::string(context) + ": field '" + key + "' has the wrong type");
  }
}

template <typename T>
T required_as(const nlohmann::json& j, const char* key, const std::string& where,
              const char* context) {
  const auto& v = require_field(j, key, where, context);
  try {
    return v.get<T>();
  } catch (const nlohmann::json::exception&) {
    fail(where, std::string(context) + ": field '" + key + "' has the wrong type");
  }
}

inline std::string component_type(const nlohmann::json& j, const std::string& where,
                                  const char* context) {
  return required_as<std::string>(j, "type", where, context);
}

}  // namespace arecipe::text
