using System.Diagnostics;
using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using Strata.Reproducible;

namespace Strata.Tests.Reproducible;

public sealed class StableGzipTests
{
    /// <summary>
    /// The blob of <see cref="FixedTarAsync"/>, computed once with SharpZipLib 1.4.2 at level 6. Another value means the
    /// pushed bytes of every reproducible image changed: a new compressor or level is a new digest for every key, and
    /// must be a deliberate change (README, "Reproducible images"), not a package bump that slips through.
    /// </summary>
    private const string FixedBlob = "sha256:9793ea138940274b84fc0c138eb99b5cacbfabc2e36d67d52c021c8d6e64179e";

    /// <summary>A layer tar of about 600 KiB (several of the compressor's blocks): text, a repeated run, incompressible bytes.</summary>
    private static async Task<byte[]> FixedTarAsync()
    {
        var text = new StringBuilder();
        for (var i = 0; i < 6000; i++) text.Append("line ").Append(i).Append(": ").Append(Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(i)))).Append('\n');
        var noise = new byte[100_000];
        for (var i = 0; i < noise.Length; i += 32) SHA256.HashData(BitConverter.GetBytes(-i - 1)).CopyTo(noise.AsSpan(i, Math.Min(32, noise.Length - i)));
        var files = new (string Name, byte[] Content)[]
        {
            ("etc/text", Encoding.ASCII.GetBytes(text.ToString())), ("var/zeros", new byte[120_000]), ("usr/bin/noise", noise),
        };
        using var output = new MemoryStream();
        using var writer = new StableTarWriter(output);
        var none = new Dictionary<string, string>();
        foreach (var (name, content) in files)
            await writer.WriteAsync(new StableTarEntry(name, TarEntryType.RegularFile, (UnixFileMode)0b110_100_100, 0, 0, content.Length, "", 0, 0, none),
                ReproducibleEpoch.UnixSeconds, new MemoryStream(content), default);
        await writer.FinishAsync(default);
        return output.ToArray();
    }

    private static async Task<(byte[] Blob, CompressedLayer Layer)> CompressAsync(Stream input)
    {
        using var output = new MemoryStream();
        var layer = await StableGzip.CompressAsync(input, output, default);
        return (output.ToArray(), layer);
    }

    [Fact]
    public async Task A_fixed_tar_gives_a_fixed_known_blob()
    {
        var tar = await FixedTarAsync();
        var (blob, layer) = await CompressAsync(new MemoryStream(tar));

        Assert.True(layer.Digest.ToString() == FixedBlob,
            $"the blob is {layer.Digest}, not {FixedBlob}: the compressor's bytes changed (SharpZipLib's version, the level, the header)");
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(blob)), layer.Digest.ToString());
        Assert.Equal(blob.Length, layer.Size);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(tar)), layer.DiffId.ToString());
        Assert.True(blob.Length < tar.Length * 6 / 10, $"{blob.Length} bytes from {tar.Length}: not compressed");
    }

    [Fact]
    public async Task The_header_names_no_file_and_no_time()
    {
        var (blob, _) = await CompressAsync(new MemoryStream(await FixedTarAsync()));
        Assert.Equal(new byte[] { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255 }, blob[..10]); // flags 0: no FNAME; MTIME 0
    }

    [Fact]
    public async Task However_the_input_arrives_the_bytes_are_the_same()
    {
        var tar = await FixedTarAsync();
        var (whole, _) = await CompressAsync(new MemoryStream(tar));
        var (trickled, _) = await CompressAsync(new TrickleStream(tar));
        Assert.Equal(whole, trickled);
    }

    [Theory]
    [InlineData("gzip", "-dc")]
    [InlineData("python3", "-c", "import gzip, sys; sys.stdout.buffer.write(gzip.decompress(sys.stdin.buffer.read()))")]
    public async Task Another_reader_gives_back_the_tar(string program, params string[] arguments)
    {
        var tar = await FixedTarAsync();
        var (blob, _) = await CompressAsync(new MemoryStream(tar));

        var start = new ProcessStartInfo(program) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        using var read = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(read);
        await process.StandardInput.BaseStream.WriteAsync(blob);
        process.StandardInput.Close();
        await copy;
        await process.WaitForExitAsync();

        Assert.Equal(0, process.ExitCode);
        Assert.Equal(tar, read.ToArray());
    }

    /// <summary>Hands out its bytes a few at a time, in uneven reads, as a pipe or a tar entry's stream can.</summary>
    private sealed class TrickleStream(byte[] content) : MemoryStream(content)
    {
        private int _next = 1;

        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, _next = _next % 4093 + 7));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, _next = _next % 4093 + 7)], ct);
    }
}
