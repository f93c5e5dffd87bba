namespace Strata;

/// <summary>strata.yaml (or another Strata input) is wrong; the message names the file and the entry.</summary>
public sealed class StrataConfigException(string message) : Exception(message);
