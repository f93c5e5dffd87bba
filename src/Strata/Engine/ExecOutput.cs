using System.Text;

namespace Strata.Engine;

/// <summary>
/// The two streams of an exec, as the engine multiplexes them in frames: decoded as UTF-8 (a character
/// may be split between frames), kept whole, and stdout handed on line by line as each line completes.
/// </summary>
public sealed class ExecOutput(Action<string>? onStdOutLine)
{
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Decoder _outDecoder = Encoding.UTF8.GetDecoder();
    private readonly Decoder _errDecoder = Encoding.UTF8.GetDecoder();
    private int _lineStart;

    public string StdOut => _stdout.ToString();
    public string StdErr => _stderr.ToString();

    /// <summary>Takes one frame of either stream.</summary>
    public void Add(bool isStdOut, ReadOnlySpan<byte> frame)
    {
        var chars = new char[Encoding.UTF8.GetMaxCharCount(frame.Length)];
        var n = (isStdOut ? _outDecoder : _errDecoder).GetChars(frame, chars, flush: false);
        (isStdOut ? _stdout : _stderr).Append(chars, 0, n);
        if (isStdOut && onStdOutLine is not null) HandOnLines();
    }

    /// <summary>The streams ended: a last line without its newline is handed on too.</summary>
    public void Complete()
    {
        if (onStdOutLine is not null && _lineStart < _stdout.Length)
        {
            onStdOutLine(_stdout.ToString(_lineStart, _stdout.Length - _lineStart).TrimEnd('\r'));
            _lineStart = _stdout.Length;
        }
    }

    private void HandOnLines()
    {
        for (var i = _lineStart; i < _stdout.Length; i++)
        {
            if (_stdout[i] != '\n') continue;
            onStdOutLine!(_stdout.ToString(_lineStart, i - _lineStart).TrimEnd('\r'));
            _lineStart = i + 1;
        }
    }
}
