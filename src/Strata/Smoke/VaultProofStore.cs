using Strata.IO;

namespace Strata.Smoke;

/// <summary>What a store holds under a proof key: a record that proves it, or why the one found does not (or neither).</summary>
public sealed record VaultProofLookup(VaultProof? Proof, string? Ignored)
{
    public static readonly VaultProofLookup None = new(null, null);
}

/// <summary>Where passed vault proofs are kept and found by proof key: the machine's cache folder, the registry.</summary>
public interface IVaultProofStore
{
    /// <summary>Where, for people: "the local cache (DIR)", "the registry (HOST/NS/REPO)".</summary>
    string Where { get; }

    /// <summary>The record under <paramref name="key"/> if it proves it; a record that does not is reported in <see cref="VaultProofLookup.Ignored"/>. Changes nothing.</summary>
    Task<VaultProofLookup> FindAsync(string key, CancellationToken ct);

    Task SaveAsync(string key, VaultProof proof, CancellationToken ct);
}

/// <summary>Vault proofs in a folder (the pipeline's: vault-proofs under --cache-dir), one &lt;key&gt;.json each.</summary>
public sealed class LocalVaultProofs(string directory) : IVaultProofStore
{
    public string Where => $"the local cache ({directory})";

    public Task<VaultProofLookup> FindAsync(string key, CancellationToken ct)
    {
        var path = Path.Combine(directory, key + ".json");
        if (!File.Exists(path)) return Task.FromResult(VaultProofLookup.None);
        try
        {
            var proof = VaultProof.Read(File.ReadAllBytes(path));
            // Records of before keys were kept name none: this machine wrote them under that key.
            return Task.FromResult(proof.Problem(key, keyRequired: false) is { } problem ? new VaultProofLookup(null, $"{path}: {problem}") : new VaultProofLookup(proof, null));
        }
        catch (FormatException e)
        {
            return Task.FromResult(new VaultProofLookup(null, $"{path}: {e.Message}")); // a damaged proof proves nothing
        }
    }

    public Task SaveAsync(string key, VaultProof proof, CancellationToken ct)
    {
        AtomicFile.Write(Path.Combine(directory, key + ".json"), s => s.Write(proof.ToJson()));
        return Task.CompletedTask;
    }
}

/// <summary>
/// The stores of a run, asked in order (the local cache first, the registry second; the scenario runs only when neither proves the
/// key). A proof found in a later store is kept in the earlier ones; a pass is kept in all of them.
/// </summary>
public sealed class VaultProofs(IReadOnlyList<IVaultProofStore> stores)
{
    public IReadOnlyList<IVaultProofStore> Stores => stores;

    /// <summary>The order, for the plan: "the local cache (...), then the registry (...), then the scenario".</summary>
    public string Order => string.Join(", then ", stores.Select(s => s.Where).Append("the scenario"));

    public async Task<(VaultProof Proof, IVaultProofStore From)?> FindAsync(string key, Action<string> log, CancellationToken ct)
    {
        for (var i = 0; i < stores.Count; i++)
        {
            var found = await stores[i].FindAsync(key, ct);
            if (found.Ignored is { } why) log($"vault proof {key[..12]} in {stores[i].Where} ignored: {why}");
            if (found.Proof is not { } proof) continue;
            foreach (var earlier in stores.Take(i)) await SaveQuietlyAsync(earlier, key, proof, log, ct);
            return (proof, stores[i]);
        }
        return null;
    }

    public async Task SaveAsync(string key, VaultProof proof, Action<string> log, CancellationToken ct)
    {
        foreach (var store in stores) await SaveQuietlyAsync(store, key, proof, log, ct);
    }

    // Keeping a proof saves other runs a scenario; failing to keep one costs them only that: said, not thrown.
    private static async Task SaveQuietlyAsync(IVaultProofStore store, string key, VaultProof proof, Action<string> log, CancellationToken ct)
    {
        try
        {
            await store.SaveAsync(key, proof, ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or HttpRequestException or Registry.RegistryException)
        {
            log($"vault proof {key[..12]} was not kept in {store.Where}: {e.Message} (other runs will run the scenario again)");
        }
    }
}
