namespace Strata.Pipeline;

/// <summary>
/// A command-line option (or its environment variable) has a value Strata cannot use; the message
/// names the option and what it takes. (Errors in strata.yaml, tools.yaml or the lock are
/// <see cref="StrataConfigException"/>: they point at a file, not at the command line.)
/// </summary>
public sealed class OptionException(string message) : Exception(message);
