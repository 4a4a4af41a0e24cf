using System.Diagnostics;
using Bms.Firmware.Link;
using Bms.Hal;

namespace Bms.Tools.Tests.Stream;

/// <summary>
/// An in-process serial cable: two one-way byte queues. The host end is a blocking <see cref="System.IO.Stream"/>
/// (what <c>LinkClient</c> reads a serial port through); the device end is a non-blocking
/// <see cref="ISerialChannel"/> (what the firmware's session polls). Each direction can be given a fault filter
/// that sees every Write (the client and the session write one whole frame per call) and may corrupt or drop it.
/// </summary>
internal sealed class LinkPipe
{
    public readonly ByteQueue ToDevice = new();
    public readonly ByteQueue ToHost = new();

    /// <summary>(write index in this direction, bytes) → bytes to deliver (null = drop). Null filter = perfect line.</summary>
    public Func<int, byte[], byte[]?>? HostToDeviceFilter;
    public Func<int, byte[], byte[]?>? DeviceToHostFilter;

    public LinkPipe()
    {
        HostEnd = new HostStream(this);
        DeviceEnd = new DeviceChannel(this);
    }

    public System.IO.Stream HostEnd { get; }
    public DeviceChannel DeviceEnd { get; }

    /// <summary>Bytes in one queue; Read blocks (host end) or returns what is there (device end).</summary>
    internal sealed class ByteQueue
    {
        private readonly Queue<byte> _bytes = new();
        private bool _closed;

        public void Add(byte[] data)
        {
            lock (_bytes)
            {
                foreach (byte b in data) _bytes.Enqueue(b);
                Monitor.PulseAll(_bytes);
            }
        }

        public void Close()
        {
            lock (_bytes)
            {
                _closed = true;
                Monitor.PulseAll(_bytes);
            }
        }

        /// <summary>Up to count bytes; waits up to wait_ms for the first. 0 on timeout or when closed and empty.</summary>
        public int Take(byte[] buffer, int offset, int count, int wait_ms)
        {
            lock (_bytes)
            {
                var watch = Stopwatch.StartNew();
                while (_bytes.Count == 0 && !_closed)
                {
                    int left = wait_ms < 0 ? Timeout.Infinite : wait_ms - (int)watch.ElapsedMilliseconds;
                    if (wait_ms >= 0 && left <= 0) return 0;
                    Monitor.Wait(_bytes, left);
                }
                int n = 0;
                while (n < count && _bytes.Count > 0) buffer[offset + n++] = _bytes.Dequeue();
                return n;
            }
        }

        public bool WaitForData(int wait_ms)
        {
            lock (_bytes)
            {
                if (_bytes.Count == 0) Monitor.Wait(_bytes, wait_ms);
                return _bytes.Count > 0;
            }
        }
    }

    internal sealed class DeviceChannel : ISerialChannel
    {
        private readonly LinkPipe _pipe;
        private int _writes;
        public DeviceChannel(LinkPipe pipe) => _pipe = pipe;

        public int Read(byte[] buffer, int offset, int count) => _pipe.ToDevice.Take(buffer, offset, count, 0);

        public void Write(byte[] buffer, int offset, int count)
        {
            var data = buffer.AsSpan(offset, count).ToArray();
            var filter = _pipe.DeviceToHostFilter;
            var delivered = filter is null ? data : filter(_writes, data);
            _writes++;
            if (delivered is not null) _pipe.ToHost.Add(delivered);
        }
    }

    private sealed class HostStream : System.IO.Stream
    {
        private readonly LinkPipe _pipe;
        private int _writes;
        public HostStream(LinkPipe pipe) => _pipe = pipe;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => _pipe.ToHost.Take(buffer, offset, count, -1);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            var data = buffer.AsSpan(offset, count).ToArray();
            var filter = _pipe.HostToDeviceFilter;
            var delivered = filter is null ? data : filter(_writes, data);
            _writes++;
            if (delivered is not null) _pipe.ToDevice.Add(delivered);
        }

        protected override void Dispose(bool disposing)
        {
            _pipe.ToHost.Close();
            _pipe.ToDevice.Close();
            base.Dispose(disposing);
        }
    }
}

/// <summary>The board's own clock on the host: wall time, microsecond resolution.</summary>
internal sealed class StopwatchClock : IMonotonicClock
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    public long Now_ms => _watch.ElapsedMilliseconds;
    public long Now_us => _watch.ElapsedTicks * 1_000_000 / Stopwatch.Frequency;
}

/// <summary>A host instance of the firmware in simulation mode on its own thread, polling the device end of a pipe.</summary>
internal sealed class SimulatedBoard : IDisposable
{
    private readonly LinkPipe _pipe;
    private readonly Thread _thread;
    private volatile bool _stop;
    private Exception? _failure;

    public SimulatedBoard(LinkPipe pipe)
    {
        _pipe = pipe;
        Session = new SimulationSession(pipe.DeviceEnd, new StopwatchClock());
        _thread = new Thread(Run) { IsBackground = true, Name = "simulated-board" };
        _thread.Start();
    }

    public SimulationSession Session { get; }

    private void Run()
    {
        try
        {
            while (!_stop)
            {
                _pipe.ToDevice.WaitForData(20);
                Session.Poll(); // also when idle, as the device's main loop does (stale partial frames expire)
            }
        }
        catch (Exception e)
        {
            _failure = e;
        }
    }

    /// <summary>Stops the board thread; rethrows what killed it, if anything did.</summary>
    public void Dispose()
    {
        _stop = true;
        _thread.Join(5000);
        if (_failure is not null) throw new InvalidOperationException("the simulated board failed", _failure);
        Session.Poll(); // whatever arrived last (the Bye), now that the board thread is gone
    }
}
