namespace Strata.Vault;

/// <summary>A refusal or failure with a message for the user (printed as "vault: MESSAGE"), and the exit status.</summary>
public sealed class VaultException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
