using System.Formats.Tar;
using System.IO.Compression;
using Microsoft.AspNetCore.Http;
using Strata.Downloads;
using Strata.Tests.Support;
using Strata.Tools;
using Xunit;

namespace Strata.Tests.Downloads;

public sealed class AssetCacheTests : IAsyncLifetime
{
    private StandInServer _server = null!;
    private readonly TempRepo _temp = new();
    private readonly byte[] _binary = Fixtures.Bytes("#!/bin/sh\necho helm v3.19.1\n");

    public async Task InitializeAsync() => _server = await StandInServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _temp.Dispose();
    }

    private string[] CacheFiles() =>
        Directory.Exists(_temp.Path("cache")) ? Directory.GetFiles(_temp.Path("cache"), "*", SearchOption.AllDirectories) : [];

    [Fact]
    public async Task Downloads_once_into_the_sha256_address_and_then_uses_no_network()
    {
        _server.Bytes("/dl/helm", _binary);
        var sha = Fixtures.Sha256(_binary);
        using var cache = new AssetCache(_temp.Path("cache"));

        var first = await cache.FetchAsync("helm", "amd64", _server.Url("/dl/helm"), sha);
        var second = await cache.FetchAsync("helm", "amd64", _server.Url("/dl/helm"), sha);

        Assert.Equal(Path.Combine(_temp.Path("cache"), "sha256", sha), first);
        Assert.Equal(first, second);
        Assert.Equal(_binary, File.ReadAllBytes(first));
        Assert.Equal(1, _server.Count("/dl/helm"));
        Assert.Single(CacheFiles());
    }

    [Fact]
    public async Task A_wrong_sha256_names_tool_arch_expected_and_actual_and_leaves_no_file()
    {
        _server.Bytes("/dl/sops", _binary);
        var expected = new string('a', 64);
        using var cache = new AssetCache(_temp.Path("cache"));

        var e = await Assert.ThrowsAsync<ChecksumMismatchException>(
            () => cache.FetchAsync("sops", "arm64", _server.Url("/dl/sops"), expected));

        Assert.Contains("'sops'", e.Message);
        Assert.Contains("arm64", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Contains(Fixtures.Sha256(_binary), e.Message);
        Assert.Empty(CacheFiles());
    }

    [Fact]
    public async Task A_truncated_download_is_an_error_and_leaves_nothing()
    {
        _server.Map("/dl/cut", async ctx =>
        {
            ctx.Response.ContentLength = 4096;
            await ctx.Response.Body.WriteAsync(_binary);
            await ctx.Response.Body.FlushAsync();
            ctx.Abort(); // connection cut before the declared length
        });
        using var cache = new AssetCache(_temp.Path("cache"));

        var e = await Assert.ThrowsAsync<AssetDownloadException>(
            () => cache.FetchAsync("k9s", "amd64", _server.Url("/dl/cut"), Fixtures.Sha256(_binary)));

        Assert.IsNotType<ChecksumMismatchException>(e);
        Assert.Contains("'k9s'", e.Message);
        Assert.Empty(CacheFiles());
    }

    [Fact]
    public async Task An_http_error_is_an_error_and_leaves_nothing()
    {
        using var cache = new AssetCache(_temp.Path("cache"));
        var e = await Assert.ThrowsAsync<AssetDownloadException>(
            () => cache.FetchAsync("yazi", "arm64", _server.Url("/dl/missing"), Fixtures.Sha256(_binary)));
        Assert.Contains("404", e.Message);
        Assert.Empty(CacheFiles());
    }

    [Fact]
    public void Mirror_urls_are_mirror_then_host_then_path()
    {
        var mirror = new Uri("https://mirror.example/strata/");
        Assert.Equal("https://mirror.example/strata/get.helm.sh/helm-v3.19.1-linux-amd64.tar.gz",
            AssetCache.RewriteForMirror(new Uri("https://get.helm.sh/helm-v3.19.1-linux-amd64.tar.gz"), mirror).AbsoluteUri);
        Assert.Equal("https://mirror.example/strata/dl.k8s.io/release/v1.35.2/bin/linux/arm64/kubectl",
            AssetCache.RewriteForMirror(new Uri("https://dl.k8s.io/release/v1.35.2/bin/linux/arm64/kubectl"), mirror).AbsoluteUri);
        Assert.Equal("http://m.local/host.example:8443/a/b?x=1",
            AssetCache.RewriteForMirror(new Uri("https://host.example:8443/a/b?x=1"), new Uri("http://m.local")).AbsoluteUri);
    }

    [Fact]
    public async Task Downloads_go_through_the_mirror_when_one_is_set()
    {
        _server.Bytes("/mirror/get.helm.sh/helm-v3.19.1-linux-amd64.tar.gz", _binary);
        using var cache = new AssetCache(_temp.Path("cache"), new Uri(_server.Url("/mirror")));
        var path = await cache.FetchAsync("helm", "amd64", "https://get.helm.sh/helm-v3.19.1-linux-amd64.tar.gz", Fixtures.Sha256(_binary));
        Assert.Equal(_binary, File.ReadAllBytes(path));
        Assert.Equal(1, _server.Count("/mirror/get.helm.sh/helm-v3.19.1-linux-amd64.tar.gz"));
    }

    [Fact]
    public async Task Download_and_hash_stores_an_asset_with_no_known_digest()
    {
        _server.Bytes("/dl/old", _binary);
        using var cache = new AssetCache(_temp.Path("cache"));
        var (path, sha) = await cache.DownloadAndHashAsync("talosctl", "amd64", _server.Url("/dl/old"));
        Assert.Equal(Fixtures.Sha256(_binary), sha);
        Assert.True(File.Exists(cache.PathFor(sha)));
        Assert.Equal(cache.PathFor(sha), path);
    }

    [Theory]
    [InlineData("tar.gz")]
    [InlineData("zip")]
    [InlineData("raw")]
    public void Extract_writes_the_one_binary_with_mode_0755(string format)
    {
        var other = Fixtures.Bytes("not me");
        var (bytes, kind, inside) = format switch
        {
            "tar.gz" => (Fixtures.TarGz(("linux-amd64/README.md", other), ("linux-amd64/helm", _binary)), ArchiveFormat.TarGz, "linux-amd64/helm"),
            "zip" => (Fixtures.Zip(("yazi-x86_64-unknown-linux-gnu/ya", other), ("yazi-x86_64-unknown-linux-gnu/yazi", _binary)), ArchiveFormat.Zip, "yazi-x86_64-unknown-linux-gnu/yazi"),
            _ => (_binary, ArchiveFormat.Raw, (string?)null),
        };
        File.WriteAllBytes(_temp.Path("asset"), bytes);
        var destination = _temp.Path("context/bin/tool");

        AssetExtractor.Extract("helm", _temp.Path("asset"), kind, inside, destination);

        Assert.Equal(_binary, File.ReadAllBytes(destination));
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(destination));
        Assert.Single(Directory.GetFiles(_temp.Path("context/bin")));
    }

    [Fact]
    public void Extract_names_the_missing_path_and_writes_nothing()
    {
        File.WriteAllBytes(_temp.Path("asset"), Fixtures.TarGz(("k9s", _binary)));
        var e = Assert.Throws<InvalidDataException>(() => AssetExtractor.Extract("k9s", _temp.Path("asset"), ArchiveFormat.TarGz, "bin/k9s", _temp.Path("out/k9s")));
        Assert.Contains("bin/k9s", e.Message);
        Assert.Contains("tool 'k9s'", e.Message);
        Assert.Empty(Directory.GetFiles(_temp.Path("out")));
    }

    /// <summary>A tar.gz with the wanted binary plus one entry made by <paramref name="add"/>.</summary>
    private void WriteTar(Action<TarWriter> add)
    {
        using var output = File.Create(_temp.Path("asset"));
        using var gzip = new GZipStream(output, CompressionLevel.Fastest);
        using var tar = new TarWriter(gzip, TarEntryFormat.Pax);
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "k9s") { DataStream = new MemoryStream(_binary) });
        add(tar);
    }

    [Theory]
    [InlineData("../evil", "outside its root")]
    [InlineData("/etc/evil", "outside its root")]
    [InlineData("docs/../../evil", "outside its root")]
    public void A_tar_entry_outside_the_archive_is_refused_as_tampered(string name, string wrong)
    {
        WriteTar(tar => tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(_binary) }));
        var e = Assert.Throws<InvalidDataException>(() => AssetExtractor.Extract("k9s", _temp.Path("asset"), ArchiveFormat.TarGz, "k9s", _temp.Path("out/k9s")));
        Assert.Contains("tool 'k9s'", e.Message);
        Assert.Contains(wrong, e.Message);
        Assert.Contains("tampered", e.Message);
        Assert.False(File.Exists(_temp.Path("out/k9s")));
    }

    [Theory]
    [InlineData(TarEntryType.SymbolicLink, "docs/link", "../../etc/passwd", "symbolic link 'docs/link' pointing outside it")]
    [InlineData(TarEntryType.SymbolicLink, "link", "/etc/passwd", "symbolic link 'link' pointing outside it")]
    [InlineData(TarEntryType.HardLink, "hard", "../etc/passwd", "hard link 'hard' pointing outside it")]
    public void A_link_pointing_out_of_the_archive_is_refused_as_tampered(TarEntryType type, string name, string target, string wrong)
    {
        WriteTar(tar => tar.WriteEntry(new PaxTarEntry(type, name) { LinkName = target }));
        var e = Assert.Throws<InvalidDataException>(() => AssetExtractor.Extract("k9s", _temp.Path("asset"), ArchiveFormat.TarGz, "k9s", _temp.Path("out/k9s")));
        Assert.Contains("tool 'k9s'", e.Message);
        Assert.Contains(wrong, e.Message);
        Assert.Contains("tampered", e.Message);
    }

    [Fact]
    public void A_link_inside_the_archive_is_fine()
    {
        WriteTar(tar => tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/k9s-alias") { LinkName = "../k9s" }));
        AssetExtractor.Extract("k9s", _temp.Path("asset"), ArchiveFormat.TarGz, "k9s", _temp.Path("out/k9s"));
        Assert.Equal(_binary, File.ReadAllBytes(_temp.Path("out/k9s")));
    }

    [Theory]
    [InlineData(TarEntryType.SymbolicLink, "symbolic link to 'k9s'")]
    [InlineData(TarEntryType.HardLink, "hard link to 'k9s'")]
    public void A_binary_that_is_a_link_is_refused_naming_the_tool_and_what_is_wrong(TarEntryType type, string wrong)
    {
        WriteTar(tar => tar.WriteEntry(new PaxTarEntry(type, "bin/k9s") { LinkName = "k9s" }));
        var e = Assert.Throws<InvalidDataException>(() => AssetExtractor.Extract("k9s", _temp.Path("asset"), ArchiveFormat.TarGz, "bin/k9s", _temp.Path("out/k9s")));
        Assert.StartsWith("tool 'k9s': 'bin/k9s' in the tar.gz is a " + wrong + ", not a regular file", e.Message);
        Assert.DoesNotContain("no file", e.Message);
    }

    [Fact]
    public void A_zip_entry_outside_the_archive_or_a_zip_symlink_pointing_out_is_refused()
    {
        File.WriteAllBytes(_temp.Path("asset"), Fixtures.Zip(("yazi/yazi", _binary), ("../../evil", _binary)));
        var e = Assert.Throws<InvalidDataException>(() => AssetExtractor.Extract("yazi", _temp.Path("asset"), ArchiveFormat.Zip, "yazi/yazi", _temp.Path("out/yazi")));
        Assert.Contains("tool 'yazi': the downloaded zip has an entry '../../evil' outside its root", e.Message);

        using (var zip = new ZipArchive(File.Create(_temp.Path("asset")), ZipArchiveMode.Create))
        {
            using (var file = zip.CreateEntry("yazi/yazi").Open()) file.Write(_binary);
            var link = zip.CreateEntry("yazi/ya");
            link.ExternalAttributes = unchecked((int)(0xA1FFu << 16)); // S_IFLNK | 0777
            using var target = link.Open();
            target.Write(Fixtures.Bytes("/usr/bin/evil"));
        }
        e = Assert.Throws<InvalidDataException>(() => AssetExtractor.Extract("yazi", _temp.Path("asset"), ArchiveFormat.Zip, "yazi/yazi", _temp.Path("out/yazi")));
        Assert.Contains("symbolic link 'yazi/ya' pointing outside it (to '/usr/bin/evil')", e.Message);
    }
}
