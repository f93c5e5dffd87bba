namespace Strata.Pipeline;

/// <summary>
/// What a run reads from its process besides the command line: environment variables (the registry's login, the builder
/// identity of a release's provenance) and, with --registry-password-stdin, one line of stdin (the registry password,
/// asked once, when the registry is first used). Given to <see cref="ImagePipeline"/>, which reads neither itself.
/// </summary>
public sealed record ProcessInputs(Func<string, string?> Environment, Func<string?> ReadRegistryPassword)
{
    /// <summary>Nothing: no variable is set, stdin is empty (tests).</summary>
    public static ProcessInputs None { get; } = new(_ => null, () => null);

    /// <summary>This process's environment and stdin.</summary>
    public static ProcessInputs Current { get; } = new(System.Environment.GetEnvironmentVariable, () => Console.In.ReadLine());
}
