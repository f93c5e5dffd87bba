namespace Strata.Registry;

/// <summary>The few registry calls the pipeline makes (<see cref="RegistryClient"/> is the real one; tests give a fake).</summary>
public interface IRegistry : IDisposable
{
    RegistryLocation Location { get; }

    /// <summary>The image under <paramref name="tag"/>, or null when the registry says 404. Changes nothing.</summary>
    Task<RemoteImage?> FindAsync(string repository, string tag, CancellationToken ct = default);

    /// <summary>Points <paramref name="newTag"/> at the manifest <paramref name="sourceReference"/> (a tag or digest) names; nothing uploaded again.</summary>
    Task TagAsync(string repository, string sourceReference, string newTag, CancellationToken ct = default);
}
