using System.Security.Cryptography;
using ICSharpCode.SharpZipLib.Checksum;
using ICSharpCode.SharpZipLib.Zip.Compression;
using Strata.Oci;

namespace Strata.Reproducible;

/// <summary>What compressing one layer gave: the blob's digest and size, and the digest of the tar it holds (its diff id).</summary>
public sealed record CompressedLayer(Digest Digest, long Size, Digest DiffId);

/// <summary>
/// A gzip whose bytes depend on its input only, on any machine: SharpZipLib's deflater (managed code, so the same bytes
/// on x64 and arm64, unlike System.IO.Compression's native zlib-ng, whose output follows the CPU's vector units and
/// the runtime's zlib version) at a pinned <see cref="Level"/>, behind a header Strata
/// writes itself (RFC 1952: no file name, modification time 0, no extra flags, OS "unknown"), so a library default
/// (SharpZipLib's GZipOutputStream writes the current time unless told otherwise) cannot change them. A new
/// SharpZipLib that deflates differently would change every digest: a unit test pins the bytes of a fixed tar.
/// </summary>
public static class StableGzip
{
    /// <summary>zlib's default level, as the engine's gzip uses: about the engine's size, at its cost in managed code.</summary>
    public const int Level = 6;

    /// <summary>What the provenance and release notes say of the layers' compression.</summary>
    public static string Description =>
        $"gzip by SharpZipLib {typeof(Deflater).Assembly.GetName().Version?.ToString(3)} at level {Level}, header without file name or time";

    /// <summary>
    /// The deflater is fed this much at a time (the last block may be shorter), whatever the reader returns. Its output
    /// does not depend on how its input is split (a test feeds it a trickle; feeding it as read did not change a byte),
    /// so this only keeps it that way should a deflater ever differ.
    /// </summary>
    private const int BlockSize = 1 << 16;

    /// <summary>ID1 ID2, CM deflate, FLG none, MTIME 0, XFL 0, OS 255 (unknown).</summary>
    private static readonly byte[] Header = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];

    /// <summary>Compresses <paramref name="input"/> to its end into <paramref name="output"/>, hashing both sides.</summary>
    public static async Task<CompressedLayer> CompressAsync(Stream input, Stream output, CancellationToken ct)
    {
        using var plainHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var blobHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var crc = new Crc32();
        var deflater = new Deflater(Level, noZlibHeaderOrFooter: true);
        var block = new byte[BlockSize];
        var compressed = new byte[BlockSize];
        long size = 0, total = 0;

        async Task EmitAsync(ReadOnlyMemory<byte> bytes)
        {
            blobHash.AppendData(bytes.Span);
            size += bytes.Length;
            await output.WriteAsync(bytes, ct);
        }

        async Task DrainAsync()
        {
            while (true)
            {
                var n = deflater.Deflate(compressed);
                if (n == 0) break;
                await EmitAsync(compressed.AsMemory(0, n));
            }
        }

        await EmitAsync(Header);
        while (true)
        {
            var filled = await input.ReadAtLeastAsync(block, block.Length, throwOnEndOfStream: false, ct);
            if (filled == 0) break;
            plainHash.AppendData(block, 0, filled);
            crc.Update(new ArraySegment<byte>(block, 0, filled));
            total += filled;
            deflater.SetInput(block, 0, filled);
            await DrainAsync();
            if (!deflater.IsNeedingInput) throw new InvalidOperationException("the deflater left part of a block unread.");
            if (filled < block.Length) break;
        }
        deflater.Finish();
        await DrainAsync();
        if (!deflater.IsFinished) throw new InvalidOperationException("the deflater did not finish its stream.");

        var trailer = new byte[8];
        BitConverter.TryWriteBytes(trailer.AsSpan(0, 4), (uint)crc.Value);
        BitConverter.TryWriteBytes(trailer.AsSpan(4, 4), (uint)(total & 0xffff_ffff)); // ISIZE: the length modulo 2^32
        if (!BitConverter.IsLittleEndian) { Array.Reverse(trailer, 0, 4); Array.Reverse(trailer, 4, 4); }
        await EmitAsync(trailer);
        await output.FlushAsync(ct);
        return new CompressedLayer(Digest.Parse("sha256:" + Convert.ToHexStringLower(blobHash.GetHashAndReset())), size,
            Digest.Parse("sha256:" + Convert.ToHexStringLower(plainHash.GetHashAndReset())));
    }
}
