using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Bms.Firmware.Contactors;
using Bms.Firmware.Events;
using Bms.Firmware.Link;
using Trace = Bms.Traces.Trace;

namespace Bms.Replay.Stream;

/// <summary>The link failed for good (no answer within the retries, refused, or closed); the message says why.</summary>
public sealed class LinkException : Exception
{
    public LinkException(string message) : base(message) { }
}

/// <summary>One event carried in a decision. Time is firmware time (0 at the first sample); cell is 0-based, −1 = none.</summary>
public sealed record LinkEvent(long Time_ms, BmsEventCode Code, ProtectionLevel Level, int Cell, bool Active);

/// <summary>What the firmware on the other end decided after one sample.</summary>
public sealed record LinkDecision(
    byte Sequence,
    long Time_ms,
    int Soc_pcm,
    ContactorState Contactors,
    int ChargeLimit_mA,
    int DischargeLimit_mA,
    ProtectionLevel Level,
    int Compute_us,
    bool[] Balancing,
    IReadOnlyList<LinkEvent> Events,
    int EventsDropped);

/// <summary>Link counters of one run (host side).</summary>
public sealed class LinkStatistics
{
    /// <summary>Frames written (first attempts and retries).</summary>
    public long FramesSent { get; internal set; }
    /// <summary>Requests sent again (after a timeout or a Nak).</summary>
    public long Retries { get; internal set; }
    /// <summary>Waits that ended without the expected answer.</summary>
    public long Timeouts { get; internal set; }
    /// <summary>Nak frames received.</summary>
    public long Naks { get; internal set; }
    /// <summary>Frames from the device dropped for a wrong CRC.</summary>
    public long CrcErrors { get; internal set; }
    /// <summary>Frames from the device dropped for an impossible length.</summary>
    public long LengthErrors { get; internal set; }
    /// <summary>Partial frames from the device abandoned because they stopped growing (e.g. a corrupted length).</summary>
    public long AbandonedFrames { get; internal set; }
    /// <summary>Valid frames that answered nothing outstanding (late duplicates of an earlier answer).</summary>
    public long StaleFrames { get; internal set; }
}

/// <summary>
/// Host end of the simulation link (protocol in firmware/Bms.Firmware/Link/LinkMessages.cs) over any byte
/// stream: a serial port's BaseStream for a board, a pipe for a host instance of the firmware in tests.
/// Each request is sent and answered in lock step; a request that gets no valid answer within the timeout, or
/// gets a Nak, is sent again with the same sequence number (the device repeats an answer rather than running a
/// sample twice), at most <see cref="Retries"/> times. A background thread reads the stream and decodes frames
/// with the firmware's own <see cref="LinkFrameReader"/>.
/// </summary>
public sealed class LinkClient : IDisposable
{
    private readonly System.IO.Stream _stream;
    private readonly BlockingCollection<ReceivedFrame> _frames = new(new ConcurrentQueue<ReceivedFrame>());
    private readonly LinkFrameReader _reader = new();
    private readonly Thread _readThread;
    private readonly byte[] _tx = new byte[LinkFrame.HeaderBytes + LinkFrame.MaxPayloadBytes + LinkFrame.TrailerBytes];
    private volatile string? _readFailure;
    private volatile bool _disposed;
    private byte _sequence;
    private int _cells = -1;
    private int _temps = -1;

    /// <param name="stream">Read and written by this client; disposed with it.</param>
    /// <param name="timeout_ms">How long to wait for each answer.</param>
    /// <param name="retries">How many times a request is sent again before the link is given up.</param>
    public LinkClient(System.IO.Stream stream, int timeout_ms = 2000, int retries = 3)
    {
        if (timeout_ms <= 0) throw new ArgumentOutOfRangeException(nameof(timeout_ms), "the timeout must be positive");
        if (retries < 0) throw new ArgumentOutOfRangeException(nameof(retries), "retries cannot be negative");
        _stream = stream;
        Timeout_ms = timeout_ms;
        Retries = retries;
        _readThread = new Thread(ReadLoop) { IsBackground = true, Name = "bms-link-reader" };
        _readThread.Start();
    }

    public int Timeout_ms { get; }
    public int Retries { get; }
    public LinkStatistics Statistics { get; } = new();

    /// <summary>
    /// Configures the device for a pack and waits for its acknowledgement. <paramref name="socInit_pcm"/> −1 lets
    /// the firmware start from its own estimate. Throws <see cref="LinkException"/> when the device refuses.
    /// </summary>
    public void Hello(int cells, int temps, int capacity_mAh, int socInit_pcm, string chemistry)
    {
        if (cells < 1 || cells > SimulationSession.MaxCells)
            throw new LinkException("the simulation link carries 1.." + SimulationSession.MaxCells + " cells (the trace has " + cells + ")");
        if (temps < 0 || temps > SimulationSession.MaxTemperatures)
            throw new LinkException("the simulation link carries 0.." + SimulationSession.MaxTemperatures + " temperatures (the trace has " + temps + ")");
        byte[] name = Encoding.ASCII.GetBytes(chemistry);
        if (name.Length > 255) throw new LinkException("chemistry name too long");
        int p = LinkFrame.HeaderBytes;
        LinkBytes.PutInt16(_tx, p, LinkBytes.ProtocolVersion);
        _tx[p + 2] = (byte)cells;
        _tx[p + 3] = (byte)temps;
        LinkBytes.PutInt32(_tx, p + 4, capacity_mAh);
        LinkBytes.PutInt32(_tx, p + 8, socInit_pcm);
        _tx[p + 12] = (byte)name.Length;
        Array.Copy(name, 0, _tx, p + 13, name.Length);
        var ack = Exchange(LinkMessageType.Hello, 13 + name.Length, LinkMessageType.HelloAck, "Hello");
        if (ack.Payload.Length < 4 || LinkBytes.GetUInt16(ack.Payload, 0) != LinkBytes.ProtocolVersion || ack.Payload[2] != cells || ack.Payload[3] != temps)
            throw new LinkException("the device acknowledged a different configuration (protocol " + LinkBytes.ProtocolVersion + ", " + cells + " cells, " + temps + " temperatures expected)");
        _cells = cells;
        _temps = temps;
    }

    /// <summary>
    /// Sends one sample and returns the firmware's decision. Missing values are <see cref="Trace.Missing"/>
    /// (sent as the protocol's missing markers). Throws <see cref="LinkException"/> when the link fails.
    /// </summary>
    public LinkDecision Send(long time_ms, int current_mA, IReadOnlyList<int> cell_mV, IReadOnlyList<int> temp_dC)
    {
        if (_cells < 0) throw new InvalidOperationException("Hello first");
        if (cell_mV.Count != _cells || temp_dC.Count != _temps)
            throw new ArgumentException("sample shape differs from the Hello (" + _cells + " cells, " + _temps + " temperatures)");
        int p = LinkFrame.HeaderBytes;
        LinkBytes.PutInt64(_tx, p, time_ms);
        LinkBytes.PutInt32(_tx, p + 8, current_mA == Trace.Missing ? StreamedCellMonitor.MissingCurrent : current_mA);
        int q = p + 12;
        for (int i = 0; i < _cells; i++, q += 2) LinkBytes.PutInt16(_tx, q, ToInt16(cell_mV[i], "cell " + (i + 1)));
        for (int i = 0; i < _temps; i++, q += 2) LinkBytes.PutInt16(_tx, q, ToInt16(temp_dC[i], "temperature " + (i + 1)));
        var frame = Exchange(LinkMessageType.Sample, q - p, LinkMessageType.Decision, "sample at " + time_ms + " ms");
        return DecodeDecision(frame, _cells);
    }

    /// <summary>Tells the device the stream has ended (no answer expected).</summary>
    public void Bye()
    {
        int length = LinkFrame.Seal(_tx, LinkMessageType.Bye, ++_sequence, 0);
        Write(length);
    }

    private static int ToInt16(int value, string what)
    {
        if (value == Trace.Missing) return StreamedCellMonitor.MissingValue;
        if (value <= short.MinValue || value > short.MaxValue)
            throw new LinkException(what + " value " + value + " does not fit the link's 16-bit field");
        return value;
    }

    /// <summary>Sends the payload at _tx[HeaderBytes..] under the next sequence number until the expected answer arrives.</summary>
    private ReceivedFrame Exchange(byte type, int payloadLength, byte answerType, string what)
    {
        byte sequence = ++_sequence;
        int length = LinkFrame.Seal(_tx, type, sequence, payloadLength);
        string lastProblem = "no answer";
        for (int attempt = 0; attempt <= Retries; attempt++)
        {
            if (attempt > 0) Statistics.Retries++;
            Write(length);
            var watch = Stopwatch.StartNew();
            while (true)
            {
                int left = Timeout_ms - (int)watch.ElapsedMilliseconds;
                if (left <= 0 || !_frames.TryTake(out var frame, left))
                {
                    if (_readFailure is string failure) throw new LinkException("link closed while waiting for the answer to the " + what + ": " + failure);
                    Statistics.Timeouts++;
                    lastProblem = "no answer within " + Timeout_ms + " ms";
                    break;
                }
                if (frame.Closed)
                {
                    throw new LinkException("link closed while waiting for the answer to the " + what + ": " + (_readFailure ?? "end of stream"));
                }
                if (frame.Sequence != sequence)
                {
                    Statistics.StaleFrames++;
                    continue;
                }
                if (frame.Type == LinkMessageType.Nak)
                {
                    Statistics.Naks++;
                    lastProblem = DescribeNak(frame);
                    break;
                }
                if (frame.Type == answerType) return frame;
                Statistics.StaleFrames++;
            }
        }
        throw new LinkException("the " + what + " (sequence " + sequence + ") failed after " + (Retries + 1) + " attempts: " + lastProblem);
    }

    private static string DescribeNak(ReceivedFrame nak)
    {
        int reason = nak.Payload.Length > 0 ? nak.Payload[0] : 0;
        int expected = nak.Payload.Length > 1 ? nak.Payload[1] : -1;
        return reason switch
        {
            LinkNakReason.SequenceGap => "the device refused it as out of sequence (it expected sequence " + expected + ")",
            LinkNakReason.NotConfigured => "the device is not configured (it restarted or never got the Hello)",
            LinkNakReason.Malformed => "the device refused it as malformed (pack shape, protocol version, chemistry or time order)",
            _ => "the device refused it (reason " + reason + ")",
        };
    }

    /// <summary>Decodes a Decision payload (layout in LinkMessages.cs).</summary>
    public static LinkDecision DecodeDecision(byte sequence, byte[] b, int cells)
    {
        int bitmapBytes = (cells + 7) / 8;
        int fixedBytes = 8 + 4 + 1 + 4 + 4 + 1 + 4 + bitmapBytes + 2;
        if (b.Length < fixedBytes) throw new LinkException("malformed decision (sequence " + sequence + "): " + b.Length + " bytes, at least " + fixedBytes + " expected");
        int q = 0;
        long time = LinkBytes.GetInt64(b, q); q += 8;
        int soc = LinkBytes.GetInt32(b, q); q += 4;
        var contactors = (ContactorState)b[q++];
        int charge = LinkBytes.GetInt32(b, q); q += 4;
        int discharge = LinkBytes.GetInt32(b, q); q += 4;
        var level = (ProtectionLevel)b[q++];
        int compute = LinkBytes.GetInt32(b, q); q += 4;
        var balancing = new bool[cells];
        for (int i = 0; i < cells; i++) balancing[i] = (b[q + (i >> 3)] & (1 << (i & 7))) != 0;
        q += bitmapBytes;
        int count = b[q++];
        int dropped = b[q++];
        if (b.Length != q + 12 * count) throw new LinkException("malformed decision (sequence " + sequence + "): " + count + " events need " + (q + 12 * count) + " bytes, got " + b.Length);
        var events = new LinkEvent[count];
        for (int i = 0; i < count; i++)
        {
            long t = LinkBytes.GetInt64(b, q); q += 8;
            events[i] = new LinkEvent(t, (BmsEventCode)b[q], (ProtectionLevel)b[q + 1], (sbyte)b[q + 2], b[q + 3] != 0);
            q += 4;
        }
        return new LinkDecision(sequence, time, soc, contactors, charge, discharge, level, compute, balancing, events, dropped);
    }

    private static LinkDecision DecodeDecision(ReceivedFrame frame, int cells) => DecodeDecision(frame.Sequence, frame.Payload, cells);

    private void Write(int length)
    {
        try
        {
            _stream.Write(_tx, 0, length);
            _stream.Flush();
            Statistics.FramesSent++;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or TimeoutException)
        {
            throw new LinkException("cannot write to the link: " + e.Message);
        }
    }

    private void ReadLoop()
    {
        var buffer = new byte[4096];
        var gap = Stopwatch.StartNew(); // since the last bytes arrived
        try
        {
            while (!_disposed)
            {
                int n;
                try
                {
                    n = _stream.Read(buffer, 0, buffer.Length);
                }
                catch (TimeoutException)
                {
                    continue; // a serial port with a read timeout: nothing arrived yet
                }
                if (n <= 0) break;
                if (_reader.InFrame && gap.ElapsedMilliseconds > LinkFrame.StaleFrame_ms) _reader.Abandon();
                gap.Restart();
                for (int i = 0; i < n; i++)
                {
                    if (!_reader.Push(buffer[i])) continue;
                    var payload = new byte[_reader.PayloadLength];
                    Array.Copy(_reader.Buffer, LinkFrame.HeaderBytes, payload, 0, payload.Length);
                    _frames.Add(new ReceivedFrame(_reader.Type, _reader.Sequence, payload, false));
                }
                Statistics.CrcErrors = _reader.CrcErrors;
                Statistics.LengthErrors = _reader.LengthErrors;
                Statistics.AbandonedFrames = _reader.StaleFrames;
            }
            _readFailure ??= "end of stream";
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            _readFailure ??= e.Message;
        }
        Statistics.CrcErrors = _reader.CrcErrors;
        Statistics.LengthErrors = _reader.LengthErrors;
        if (!_frames.IsAddingCompleted) _frames.Add(new ReceivedFrame(0, 0, Array.Empty<byte>(), true));
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stream.Dispose();
        _readThread.Join(1000);
    }

    private sealed record ReceivedFrame(byte Type, byte Sequence, byte[] Payload, bool Closed);
}
