using System.Text;
using Strata.Oci;
using Strata.Supply;

namespace Strata.Tests.Supply;

/// <summary>The SBOM, provenance and release notes as documents: what they list and what a check of them finds.</summary>
public sealed class SbomTests
{
    private const string Digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private static readonly string Key = new('a', 64);
    private static readonly PinnedBinary Helm = new("helm", "3.19.2", "https://get.helm.sh/helm-v3.19.2-linux-amd64.tar.gz", new string('b', 64));

    // A real dpkg status shape: an installed package with an epoch, a multi-line field, one removed with its config left.
    private const string Status = """
        Package: libc6
        Status: install ok installed
        Priority: optional
        Architecture: amd64
        Multi-Arch: same
        Version: 2.41-12
        Description: GNU C Library: Shared libraries
         Contains the standard libraries.

        Package: perl-base
        Status: install ok installed
        Architecture: amd64
        Version: 1:5.40.1-6

        Package: vim-tiny
        Status: deinstall ok config-files
        Architecture: amd64
        Version: 2:9.1.1230-2

        """;

    private static SbomInput Input(IReadOnlyList<PinnedBinary>? binaries = null) => new(
        ImageReference.Parse("registry.example:5000/team/acme/tiny").WithDigest(Digest), Key, Platform.LinuxAmd64,
        new ImageContents(OsRelease.Parse("PRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\nID=debian\nVERSION_ID=\"13\"\nVERSION_CODENAME=trixie\n"),
            ImageContents.ParseDpkgStatus(Status),
            [new NpmPackage("@google/gemini-cli", "0.61.0", "/usr/local/lib/node_modules/@google/gemini-cli")]),
        binaries ?? [Helm],
        ImageReference.Parse("debian:trixie-slim@sha256:d7e12182ce18b85b93007c1dedf31f2d29e01ccf3182cc4017c709b6259bc132"));

    [Fact]
    public void A_package_the_lock_pins_carries_the_sha256_of_its_deb_and_must_be_the_locked_version()
    {
        var locked = new Dictionary<string, Strata.Packages.LockedPackage> { ["libc6"] = new("2.41-12", "amd64", new string('c', 64)) };
        var components = Sbom.ReadComponents(Sbom.Write(Input() with { LockedPackages = locked }));
        Assert.Equal(new string('c', 64), Assert.Single(components, c => c.Name == "libc6").Sha256);
        Assert.Null(Assert.Single(components, c => c.Name == "perl-base").Sha256); // the base OS's own: pinned by its digest

        var other = new Dictionary<string, Strata.Packages.LockedPackage> { ["libc6"] = new("2.41-12+deb13u1", "amd64", new string('c', 64)) };
        var e = Assert.Throws<InvalidOperationException>(() => Sbom.Write(Input() with { LockedPackages = other }));
        Assert.Contains("the image holds libc6 2.41-12, but packages.lock.json pins 2.41-12+deb13u1", e.Message);
    }

    [Fact]
    public void The_dpkg_database_gives_the_installed_packages_only()
    {
        Assert.Equal([new DebianPackage("libc6", "2.41-12", "amd64"), new DebianPackage("perl-base", "1:5.40.1-6", "amd64")],
            ImageContents.ParseDpkgStatus(Status));
    }

    [Fact]
    public void Every_component_has_a_purl_the_binaries_their_sha256_and_url_and_the_image_depends_on_its_parent()
    {
        var sbom = Sbom.Write(Input());
        var components = Sbom.ReadComponents(sbom);

        Assert.Contains(components, c => c.Purl == "pkg:deb/debian/perl-base@1%3A5.40.1-6?arch=amd64&distro=debian-13");
        Assert.Contains(components, c => c.Purl == "pkg:npm/%40google/gemini-cli@0.61.0");
        var helm = Assert.Single(components, c => c.Name == "helm");
        Assert.Equal(Helm.Sha256, helm.Sha256);
        Assert.Contains("download_url=https%3A%2F%2Fget.helm.sh%2F", helm.Purl);
        var parent = Assert.Single(components, c => c.Type == "container");
        Assert.Equal("pkg:oci/debian@sha256%3Ad7e12182ce18b85b93007c1dedf31f2d29e01ccf3182cc4017c709b6259bc132?repository_url=docker.io%2Flibrary%2Fdebian", parent.Purl);
        Assert.All(components, c => Assert.StartsWith("pkg:", c.Purl));
        var text = Encoding.UTF8.GetString(sbom);
        Assert.Contains("\"specVersion\": \"1.5\"", text);
        Assert.Contains("\"dependsOn\"", text);
        Assert.Equal(Key, Sbom.ReadKey(sbom));
        Assert.Equal(sbom, Sbom.Write(Input())); // the same image, the same bytes
    }

    [Fact]
    public void An_sbom_without_a_locked_tool_or_with_another_sha256_does_not_hold_up()
    {
        var expected = new Expectation("k8s", Strata.Oci.Digest.Parse(Digest), Key, new string('c', 64), [Helm]);
        Assert.Null(expected.Judge(EvidenceKind.Sbom, [new ArtifactLayer("x", Sbom.Write(Input()))]));

        Assert.Equal("lacks locked tool(s) helm 3.19.2 with their sha256",
            expected.Judge(EvidenceKind.Sbom, [new ArtifactLayer("x", Sbom.Write(Input(binaries: [])))]));
        Assert.Equal("lacks locked tool(s) helm 3.19.2 with their sha256",
            expected.Judge(EvidenceKind.Sbom, [new ArtifactLayer("x", Sbom.Write(Input(binaries: [Helm with { Sha256 = new string('d', 64) }])))]));
    }

    [Theory]
    [InlineData("/usr/local/lib/node_modules/@google/gemini-cli/package.json", true)]
    [InlineData("/usr/local/lib/node_modules/@google/gemini-cli/node_modules/yargs/package.json", true)]
    [InlineData("/usr/local/lib/node_modules/yargs/package.json", true)]
    [InlineData("/usr/local/lib/node_modules/yargs/lib/package.json", false)]
    [InlineData("/usr/local/lib/node_modules/yargs/README.md", false)]
    public void Only_a_package_s_own_manifest_names_an_npm_package(string path, bool manifest) =>
        Assert.Equal(manifest, ImageContents.IsPackageManifest(path));

    [Fact]
    public void Provenance_names_its_subject_key_and_dependencies_and_the_actions_run_that_built_it()
    {
        var env = new Dictionary<string, string>
        {
            ["GITHUB_ACTIONS"] = "true", ["GITHUB_REPOSITORY"] = "acme/strata", ["GITHUB_RUN_ID"] = "42", ["GITHUB_RUN_ATTEMPT"] = "2",
            ["GITHUB_WORKFLOW_REF"] = "acme/strata/.github/workflows/release.yml@refs/tags/v1.0.0",
        };
        var builtBy = BuilderIdentity.FromEnvironment(n => env.GetValueOrDefault(n));
        var statement = Provenance.Write(new ProvenanceInput(Input().Image, Key, "k8s", Platform.LinuxAmd64, "BuildKit", builtBy, "0123abc",
            Input().Parent!, ImageReference.Parse("r.example/team/acme/tiny@" + Digest), [Helm],
            new Dictionary<string, string> { ["@google/gemini-cli"] = "0.61.0" }, new string('e', 64)));

        Assert.Equal(new ProvenanceClaims(Digest, Key), Provenance.Read(statement));
        var text = Encoding.UTF8.GetString(statement);
        Assert.Contains("\"id\": \"https://github.com/acme/strata/.github/workflows/release.yml@refs/tags/v1.0.0\"", text);
        Assert.Contains("\"invocationId\": \"https://github.com/acme/strata/actions/runs/42/attempts/2\"", text);
        foreach (var dependency in new[] { "\"gitCommit\": \"0123abc\"", "\"name\": \"base-os\"", "\"name\": \"parent\"",
                     "\"name\": \"tools.lock.json:helm@3.19.2\"", "pkg:npm/%40google/gemini-cli@0.61.0", "\"name\": \"dotfiles\"" })
            Assert.Contains(dependency, text);
        Assert.StartsWith("urn:strata:host:", BuilderIdentity.FromEnvironment(_ => null).Id);
    }

    [Fact]
    public void Release_notes_list_added_removed_and_changed_packages_by_kind_and_name()
    {
        SbomComponent C(string purlType, string name, string version) => new("library", name, version, $"pkg:{purlType}/{name}@{version}", null);
        var before = new[] { C("deb", "curl", "8.14.1-1"), C("deb", "jq", "1.7.1-6"), C("npm", "yargs", "17.7.2") };
        var after = new[] { C("deb", "curl", "8.14.1-2"), C("npm", "yargs", "17.7.2"), C("npm", "zod", "3.25.0") };

        Assert.Equal(["curl (deb) 8.14.1-1 -> 8.14.1-2", "removed jq (deb) 1.7.1-6", "added zod (npm) 3.25.0"], ReleaseNotes.Diff(before, after));
    }
}
