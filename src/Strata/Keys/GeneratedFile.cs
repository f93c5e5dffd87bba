namespace Strata.Keys;

/// <summary>
/// A file Strata writes into a build context from data it holds (e.g. an image's part of the package lock), not
/// read from the repository: its bytes are known when the plan is made, so the key covers exactly what is sent.
/// </summary>
public sealed record GeneratedFile(string ContextPath, byte[] Content, bool Executable)
{
    public string Sha256 => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Content));
}
