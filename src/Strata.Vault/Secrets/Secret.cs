using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Strata.Vault.Platform;

namespace Strata.Vault.Secrets;

/// <summary>
/// A passphrase: bytes, never a string (a string cannot be zeroed and the GC copies it). One buffer of unmanaged
/// memory, so it never moves; locked into RAM (mlock: never swapped), left out of core dumps, and zeroed on
/// Dispose, which every path (success, failure, signal) reaches. Any bytes a terminal can send are valid; the
/// capacity is a canonical terminal line.
/// </summary>
public sealed unsafe class Secret : IDisposable
{
    public const int Capacity = 4096;
    private byte* _buffer;
    private readonly bool _locked;
    private readonly object _gate = new();

    private Secret(bool lockInMemory)
    {
        _buffer = (byte*)NativeMemory.AlignedAlloc(Capacity, 4096);
        NativeMemory.Clear(_buffer, Capacity);
        if (lockInMemory)
        {
            if (Libc.mlock(_buffer, Capacity) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                NativeMemory.AlignedFree(_buffer);
                _buffer = null;
                throw new VaultException($"cannot lock the passphrase's memory (mlock: errno {errno}); raise the memlock limit (ulimit -l) of this container");
            }
            Libc.madvise(_buffer, Capacity, Libc.MADV_DONTDUMP);
            _locked = true;
        }
    }

    /// <summary>A buffer locked in RAM (the real program).</summary>
    public static Secret Allocate() => new(lockInMemory: true);

    /// <summary>A buffer that is not locked (tests: no memlock limit to meet); zeroed all the same.</summary>
    internal static Secret AllocateUnlocked() => new(lockInMemory: false);

    /// <summary>Test and fake convenience: the bytes of a text.</summary>
    internal static Secret FromBytes(ReadOnlySpan<byte> bytes)
    {
        var s = AllocateUnlocked();
        s.Append(bytes);
        return s;
    }

    public int Length { get; private set; }
    public bool IsEmpty => Length == 0;
    public bool IsDisposed => _buffer == null;

    public ReadOnlySpan<byte> Span => _buffer == null ? throw new ObjectDisposedException(nameof(Secret)) : new(_buffer, Length);

    /// <summary>Where the next bytes go (for a read(2) straight into the buffer) and how many fit.</summary>
    internal byte* Tail(out int room)
    {
        if (_buffer == null) throw new ObjectDisposedException(nameof(Secret));
        room = Capacity - Length;
        return _buffer + Length;
    }

    internal void Grow(int count) => Length += count;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        var tail = Tail(out var room);
        if (bytes.Length > room) throw new VaultException($"passphrase too long (at most {Capacity - 1} bytes)");
        bytes.CopyTo(new Span<byte>(tail, room));
        Length += bytes.Length;
    }

    /// <summary>Drops the last byte (the newline that ended a terminal line).</summary>
    internal void TrimEnd(byte b)
    {
        if (Length > 0 && _buffer[Length - 1] == b) _buffer[--Length] = 0;
    }

    /// <summary>Same bytes, compared in constant time.</summary>
    public bool SameAs(Secret other) =>
        Length == other.Length && CryptographicOperations.FixedTimeEquals(Span, other.Span);

    public void Dispose()
    {
        lock (_gate)   // a signal handler may dispose while the main thread still holds it
        {
            if (_buffer == null) return;
            CryptographicOperations.ZeroMemory(new Span<byte>(_buffer, Capacity));
            if (_locked) Libc.munlock(_buffer, Capacity);
            NativeMemory.AlignedFree(_buffer);
            _buffer = null;
            Length = 0;
        }
    }
}
