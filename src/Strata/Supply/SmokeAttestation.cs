using System.Text;
using System.Text.Json;

namespace Strata.Supply;

/// <summary>
/// The smoke report that travels with an image: which manifest passed, under which proof key (every check
/// as planned, the vault scenario and the Strata version), how many checks and on which vault runtime.
/// The JUnit XML, when the run that proved it wrote one, travels as the artefact's second layer.
/// </summary>
public sealed record SmokeAttestation(string Image, string Digest, string Key, string ProofKey, bool Passed, int Checks,
    string? VaultRuntime, string Strata)
{
    public const string JUnitMediaType = "application/vnd.dev.strata.junit+xml";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public byte[] ToJson() => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(this, Json));

    public static SmokeAttestation Read(byte[] json) =>
        JsonSerializer.Deserialize<SmokeAttestation>(json, Json) ?? throw new FormatException("an empty smoke report");
}
