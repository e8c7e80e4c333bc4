#pragma once
// Typed errors of the core. Every message names the problem and, where it can, what to do about it.
#include <stdexcept>
#include <string>

namespace difflens {

/** Base of every error the core throws on purpose; what() is a sentence a person can act on. */
class Error : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/** A scheduler or package configuration is malformed (unknown name, wrong type, value out of range). */
class ConfigError : public Error
{
public:
    using Error::Error;
};

/** A model file is missing, corrupt, or does not behave as a denoiser (wrong output shape, NaNs). */
class ModelError : public Error
{
public:
    using Error::Error;
};

/** A dataset, tensor file or image is missing or has the wrong shape. */
class DataError : public Error
{
public:
    using Error::Error;
};

/** A file could not be written or read. */
class IoError : public Error
{
public:
    using Error::Error;
};

/** Thrown inside jobs when cancellation was requested; caught at the job boundary. */
class Cancelled : public Error
{
public:
    Cancelled() : Error("cancelled") {}
};

/** Turns any exception (c10::Error included) into one readable line without a stack trace. */
std::string describeException(const std::exception& e);

} // namespace difflens
