using System.Formats.Tar;
using Strata.IO;
using Strata.Reproducible;

namespace Strata.Tests.Reproducible;

public sealed class StableTarWriterTests
{
    private static readonly string LongName = "usr/lib/node_modules/" + string.Join('/', Enumerable.Repeat("very-long-folder-name", 8)) + "/index.js";

    private static async Task<(byte[] Tar, string Digest)> WriteAsync()
    {
        using var output = new MemoryStream();
        using var writer = new StableTarWriter(output);
        var none = new Dictionary<string, string>();
        await writer.WriteAsync(new StableTarEntry("etc/", TarEntryType.Directory, (UnixFileMode)0b111_101_101, 0, 0, 0, "", 0, 0, none), 1000, null, default);
        await writer.WriteAsync(new StableTarEntry("etc/hello", TarEntryType.RegularFile, (UnixFileMode)0b110_100_100, 1000, 1000, 5, "", 0, 0, none),
            1000, new MemoryStream("hello"u8.ToArray()), default);
        await writer.WriteAsync(new StableTarEntry(LongName, TarEntryType.RegularFile, (UnixFileMode)0b111_101_101, 0, 0, 2, "", 0, 0, none),
            1000, new MemoryStream("ok"u8.ToArray()), default);
        await writer.WriteAsync(new StableTarEntry("usr/bin/ping", TarEntryType.RegularFile, (UnixFileMode)0b111_101_101, 0, 0, 0, "", 0, 0,
            new Dictionary<string, string> { ["SCHILY.xattr.security.capability"] = "\u0001\u0000\u0000\u0002" }), 1000, null, default);
        await writer.WriteAsync(new StableTarEntry("etc/link", TarEntryType.SymbolicLink, (UnixFileMode)0b111_111_111, 0, 0, 0, "hello", 0, 0, none), 1000, null, default);
        var digest = await writer.FinishAsync(default);
        return (output.ToArray(), digest);
    }

    [Fact]
    public async Task The_same_entries_give_the_same_bytes_and_their_sha256_as_digest()
    {
        var (first, digest) = await WriteAsync();
        var (second, _) = await WriteAsync();
        Assert.Equal(first, second);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(first)), digest);
    }

    [Fact]
    public async Task Its_tar_reads_back_with_names_times_owners_links_and_extended_attributes()
    {
        var (tar, _) = await WriteAsync();
        var entries = new List<TarEntry>();
        using (var reader = new TarReader(new MemoryStream(tar)))
            while (reader.GetNextEntry(copyData: true) is { } e) entries.Add(e);
        Assert.Equal(["etc/", "etc/hello", LongName, "usr/bin/ping", "etc/link"], entries.Select(e => e.Name));
        Assert.All(entries, e => Assert.Equal(1000, e.ModificationTime.ToUnixTimeSeconds()));
        Assert.Equal((1000, 1000), (entries[1].Uid, entries[1].Gid));
        Assert.Equal("hello", new StreamReader(entries[1].DataStream!).ReadToEnd());
        Assert.Equal("hello", entries[4].LinkName);
        var ping = Assert.IsType<PaxTarEntry>(entries[3]);
        Assert.Equal("\u0001\u0000\u0000\u0002", ping.ExtendedAttributes["SCHILY.xattr.security.capability"]);
        Assert.DoesNotContain(entries.OfType<PaxTarEntry>().SelectMany(e => e.ExtendedAttributes.Keys), k => k is "atime" or "ctime");
    }

    [Fact]
    public async Task GNU_tar_lists_it_as_written()
    {
        var (tar, _) = await WriteAsync();
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(file, tar);
            var lines = new List<string>();
            var exit = await ChildProcess.RunAsync("tar", ["-tf", file], lines.Add, null, CancellationToken.None);
            Assert.Equal(0, exit);
            Assert.Equal(["etc/", "etc/hello", LongName, "usr/bin/ping", "etc/link"], lines);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
