namespace Strata.Registry;

/// <summary>
/// The login a run uses for its registry, looked up once and only when first needed: asking a docker
/// credential helper starts a process, and an anonymous registry never needs it.
/// </summary>
public sealed class RegistryLogin(Func<CancellationToken, Task<RegistryCredentials?>> find)
{
    private readonly Lock _gate = new();
    private Task<RegistryCredentials?>? _found;

    /// <summary>No login: the registry is asked anonymously.</summary>
    public static RegistryLogin Anonymous => Of(null);

    /// <summary>A login known already (tests, or credentials given on the command line).</summary>
    public static RegistryLogin Of(RegistryCredentials? credentials) => new(_ => Task.FromResult(credentials));

    public Task<RegistryCredentials?> GetAsync(CancellationToken ct = default)
    {
        lock (_gate) return _found ??= find(ct);
    }
}
