namespace Strata.Vault.Names;

/// <summary>Whom a vault belongs to: looked up from a uid (never from a name the caller gives).</summary>
public sealed record VaultUser(string Name, int Uid, int Gid, string Home);
