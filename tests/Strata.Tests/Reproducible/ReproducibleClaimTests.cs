using System.Text;
using Strata.Oci;
using Strata.Registry;
using Strata.Reproducible;
using Strata.Supply;

namespace Strata.Tests.Reproducible;

public sealed class ReproducibleClaimTests
{
    private const string Digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    private static byte[] ProvenanceOf(ReproducibleClaim? claim) => Provenance.Write(new ProvenanceInput(
        ImageReference.Parse("registry.example:5000/team/acme/tiny").WithDigest(Digest), new string('a', 64), "base", Platform.LinuxAmd64,
        "BuildKit", BuilderIdentity.FromEnvironment(_ => null), "0123abc", ImageReference.Parse("debian:trixie-slim"), null, [],
        new Dictionary<string, string>(), null) { Reproducible = claim });

    [Fact]
    public void The_provenance_of_a_reproducible_image_says_so_with_its_epoch_and_the_check_to_run()
    {
        var claim = ReproducibleClaim.For(RegistryLocation.Parse("ghcr.io/acme"));
        var text = Encoding.UTF8.GetString(ProvenanceOf(claim));
        Assert.Contains("\"epoch\": \"2024-01-01T00:00:00Z\"", text);
        Assert.Contains("\"check\": \"./build.sh --target=verify --rebuild --registry=ghcr.io/acme (at the released commit)\"", text);
        Assert.Contains("\"compression\": \"gzip by SharpZipLib 1.4.2 at level 6, header without file name or time\"", text);
        Assert.Equal(new ProvenanceClaims(Digest, new string('a', 64)), Provenance.Read(ProvenanceOf(claim)));
        Assert.DoesNotContain("reproducible", Encoding.UTF8.GetString(ProvenanceOf(null)));
    }

    [Fact]
    public void The_release_notes_section_names_the_epoch_and_the_command()
    {
        var notes = ReproducibleClaim.For(RegistryLocation.Parse("ghcr.io/acme")).Markdown();
        Assert.Contains("## Reproducible", notes);
        Assert.Contains("2024-01-01T00:00:00Z", notes);
        Assert.Contains("the same manifest digest", notes);
        Assert.Contains("    ./build.sh --target=verify --rebuild --registry=ghcr.io/acme", notes);
    }
}
