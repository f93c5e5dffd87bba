using System.Text;
using System.Text.Json.Nodes;
using Strata.Registry;
using Strata.Smoke;
using Strata.Supply;
using Strata.Tests.Support;
using Strata.Tests.Support.Fakes;
using Strata.Oci;

namespace Strata.Tests.Smoke;

/// <summary>
/// Where vault proofs are found before a scenario runs, on the fakes: the local cache first, the registry second (the record an
/// artefact under vault-proof-KEY); only a record that parses, names the key and a passing run counts, and one that does not is said.
/// </summary>
public sealed class VaultProofStoreTests : IDisposable
{
    private const string Key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private const string Passing = "# runtime: user-mode-linux 6.1\nok - volume opens\nok - secret reads back\n# vault scenario: PASS (2 passed, 0 failed)\n";
    private readonly TempRepo _cache = new();
    private readonly FakeRegistry _fake = new(RegistryLocation.Parse("registry.test/team"));
    private readonly List<string> _log = [];
    private LocalVaultProofs Local => new(_cache.Path("vault-proofs"));
    private RegistryVaultProofs Registry => new(_fake, ImageRepository.Parse("acme/workstation"));
    private VaultProofs Chain => new([Local, Registry]);

    public void Dispose() => _cache.Dispose();

    private static VaultProof Proof(string key = Key, string output = Passing, string image = "base") =>
        VaultProof.Of(key, image, $"acme/workstation:{image}-abc123abc123", "linux/amd64", "user-mode-linux 6.1", output);

    [Fact]
    public async Task A_pass_kept_by_one_machine_is_found_by_a_new_one_in_the_registry_and_kept_locally()
    {
        await new VaultProofs([new LocalVaultProofs(_cache.Path("other-machine")), Registry]).SaveAsync(Key, Proof(), _log.Add, default);
        Assert.True(_fake.Has(RegistryVaultProofs.TagOf(Key)));

        var found = await Chain.FindAsync(Key, _log.Add, default);

        Assert.NotNull(found);
        Assert.Equal("base", found.Value.Proof.Image);
        Assert.Equal(["volume opens", "secret reads back"], found.Value.Proof.Checks);
        Assert.StartsWith("the registry (registry.test/team/acme/workstation)", found.Value.From.Where);
        Assert.Empty(_log);
        // Kept in the local cache: the next lookup on this machine asks the registry nothing.
        Assert.StartsWith("the local cache", (await Chain.FindAsync(Key, _log.Add, default))!.Value.From.Where);
    }

    [Fact]
    public async Task The_local_cache_is_asked_first_and_nothing_found_is_null()
    {
        Assert.Null(await Chain.FindAsync(Key, _log.Add, default));

        await Local.SaveAsync(Key, Proof(image: "local"), default);
        await Registry.SaveAsync(Key, Proof(image: "remote"), default);

        var found = await Chain.FindAsync(Key, _log.Add, default);
        Assert.Equal("local", found!.Value.Proof.Image);
        Assert.Equal("the plan's order: the local cache (" + _cache.Path("vault-proofs") + "), then the registry (registry.test/team/acme/workstation), then the scenario",
            "the plan's order: " + Chain.Order);
    }

    public static TheoryData<string, string> Tampered => new()
    {
        { "another key", "names proof key fedcba987654, not 0123456789ab" },
        { "a failing verdict", "names the verdict 'FAIL (1 passed, 1 failed)'" },
        { "a failing output", "its run did not pass" },
        { "no key", "names no proof key" },
        { "not json", "does not parse" },
        { "another artefact", "is not a application/vnd.dev.strata.vault-proof.v1+json artefact" },
    };

    [Theory]
    [MemberData(nameof(Tampered))]
    public async Task A_record_that_does_not_prove_the_key_is_ignored_and_said_so(string how, string said)
    {
        var failing = Passing.Replace("ok - secret", "not ok - secret").Replace("PASS (2 passed, 0 failed)", "FAIL (1 passed, 1 failed)");
        switch (how)
        {
            case "another key": await PutRecordAsync(Proof(key: "fedcba9876543210" + Key[16..]).ToJson()); break;
            case "a failing verdict": await PutRecordAsync(Proof(output: failing).ToJson()); break;
            case "a failing output": await PutRecordAsync((Proof() with { Output = failing.Replace("FAIL (1 passed, 1 failed)", "PASS") }).ToJson()); break;
            case "no key": await PutRecordAsync((Proof() with { Key = null }).ToJson()); break;
            case "not json": await PutRecordAsync("{\"Image\": "u8.ToArray()); break;
            case "another artefact": await PutRecordAsync(Proof().ToJson(), "application/vnd.example+json"); break;
        }

        Assert.Null(await Chain.FindAsync(Key, _log.Add, default));
        var line = Assert.Single(_log);
        Assert.Contains($"vault proof {Key[..12]} in the registry", line);
        Assert.Contains("ignored", line);
        Assert.Contains(said, line);
    }

    [Fact]
    public async Task A_damaged_local_record_is_ignored_and_the_registry_asked()
    {
        _cache.Write($"vault-proofs/{Key}.json", "{ damaged");
        await Registry.SaveAsync(Key, Proof(image: "remote"), default);

        var found = await Chain.FindAsync(Key, _log.Add, default);

        Assert.Equal("remote", found!.Value.Proof.Image);
        Assert.Contains(_log, l => l.Contains("in the local cache") && l.Contains("ignored"));
    }

    [Fact]
    public async Task A_registry_that_refuses_the_record_costs_a_line_not_the_run()
    {
        var refusing = new VaultProofs([Local, new Refusing()]);

        await refusing.SaveAsync(Key, Proof(), _log.Add, default);

        Assert.NotNull((await Local.FindAsync(Key, default)).Proof);
        Assert.Contains(_log, l => l.Contains("was not kept in the refusing registry") && l.Contains("401"));
    }

    /// <summary>Pushes a record as the store would, but with these bytes (and artifactType): what a tampering writer could leave.</summary>
    private async Task PutRecordAsync(byte[] record, string artifactType = RegistryVaultProofs.ArtifactType)
    {
        var digest = (await _fake.PushBlobAsync(_fake.At(ImageRepository.Parse("acme/workstation")), record)).ToString();
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2, ["mediaType"] = Referrers.ManifestType, ["artifactType"] = artifactType,
            ["config"] = new JsonObject { ["mediaType"] = Referrers.EmptyType, ["digest"] = Digest.Of("{}"u8.ToArray()).Value, ["size"] = 2 },
            ["layers"] = new JsonArray(new JsonObject { ["mediaType"] = artifactType, ["digest"] = digest, ["size"] = record.Length }),
        };
        await _fake.PushManifestAsync(_fake.At(ImageRepository.Parse("acme/workstation"), RegistryVaultProofs.TagOf(Key)), Referrers.ManifestType, Encoding.UTF8.GetBytes(manifest.ToJsonString()));
    }

    private sealed class Refusing : IVaultProofStore
    {
        public string Where => "the refusing registry";
        public Task<VaultProofLookup> FindAsync(string key, CancellationToken ct) => Task.FromResult(VaultProofLookup.None);
        public Task SaveAsync(string key, VaultProof proof, CancellationToken ct) => throw new RegistryAuthException("401 Unauthorized: log in first");
    }
}
