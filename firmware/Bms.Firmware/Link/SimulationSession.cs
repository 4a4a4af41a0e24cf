using System;
using Bms.Firmware.Chemistry;
using Bms.Firmware.Composition;
using Bms.Firmware.Events;
using Bms.Hal;

namespace Bms.Firmware.Link
{
    /// <summary>
    /// Simulation mode of a board with no AFE: the replay tool streams trace samples over a serial channel and
    /// this session runs the real firmware (<see cref="BmsSystem"/>) on them, answering each sample with what
    /// the firmware decided. Between two samples the previous one is held and the firmware is polled every
    /// 10 ms of trace time, exactly as the host replay does, so the decisions can be compared one for one.
    /// Firmware time is trace time (the scheduler must see trace time, not wall time); the compute time of each
    /// step is measured on the board's own clock and reported, which is the real MCU timing being proven.
    /// Allocates when a Hello (re)configures the pack, never per sample.
    /// </summary>
    public sealed class SimulationSession
    {
        /// <summary>Most cells a Hello may declare.</summary>
        public const int MaxCells = 64;
        /// <summary>Most temperature sensors a Hello may declare.</summary>
        public const int MaxTemperatures = 32;
        /// <summary>Events reported per decision; more are counted as dropped.</summary>
        public const int MaxEventsPerDecision = 32;
        private const int PollStep_ms = 10;

        private readonly ISerialChannel _channel;
        private readonly IMonotonicClock _boardClock;
        private readonly LinkFrameReader _reader = new LinkFrameReader();
        private readonly byte[] _rx = new byte[64];
        private readonly byte[] _tx = new byte[LinkFrame.HeaderBytes + LinkFrame.MaxPayloadBytes + LinkFrame.TrailerBytes];
        private readonly byte[] _replyTx = new byte[LinkFrame.HeaderBytes + 8 + LinkFrame.TrailerBytes];
        private readonly SettableClock _clock = new SettableClock();
        private readonly EventBuffer _events = new EventBuffer(MaxEventsPerDecision);

        private BmsSystem _system;
        private StreamedCellMonitor _monitor;
        private int[] _cells;
        private int[] _temps;
        private int _cellCount;
        private int _temperatureCount;
        private bool _configured;
        private bool _hasSample;
        private byte _expectedSequence;
        private byte _lastSequence;
        private int _lastDecisionLength;
        private long _firstSampleTime_ms;
        private long _lastSampleTime_ms;
        private long _lastPoll_ms;
        private LoopbackContactor _negative;
        private LoopbackContactor _positive;
        private long _lastActivity_ms;

        /// <summary>Runs over <paramref name="channel"/>; <paramref name="boardClock"/> times the compute of each step.</summary>
        public SimulationSession(ISerialChannel channel, IMonotonicClock boardClock)
        {
            _channel = channel;
            _boardClock = boardClock;
        }

        /// <summary>The firmware instance of the current stream (null before the first Hello).</summary>
        public BmsSystem System { get { return _system; } }
        /// <summary>Samples processed since the last Hello.</summary>
        public long SamplesProcessed { get; private set; }
        /// <summary>Frames refused (Nak sent).</summary>
        public long FramesRefused { get; private set; }
        /// <summary>Frames dropped for a bad CRC or length, or abandoned half-received.</summary>
        public int FramesCorrupted { get { return _reader.CrcErrors + _reader.LengthErrors + _reader.StaleFrames; } }
        /// <summary>true after the host said Bye.</summary>
        public bool Finished { get; private set; }

        /// <summary>Processes whatever has arrived. Call it in the device's main loop.</summary>
        public void Poll()
        {
            int count;
            while ((count = _channel.Read(_rx, 0, _rx.Length)) > 0)
            {
                _lastActivity_ms = _boardClock.Now_ms;
                for (int i = 0; i < count; i++)
                {
                    if (_reader.Push(_rx[i]))
                    {
                        Handle();
                        // A frame that started arriving while we computed is not stale.
                        _lastActivity_ms = _boardClock.Now_ms;
                    }
                }
            }
            if (_reader.InFrame && _boardClock.Now_ms - _lastActivity_ms > LinkFrame.StaleFrame_ms)
            {
                _reader.Abandon();
            }
        }

        private void Handle()
        {
            byte type = _reader.Type;
            byte sequence = _reader.Sequence;
            byte[] frame = _reader.Buffer;
            int length = _reader.PayloadLength;
            if (type == LinkMessageType.Hello)
            {
                HandleHello(frame, sequence, length);
            }
            else if (type == LinkMessageType.Sample)
            {
                HandleSample(frame, sequence, length);
            }
            else if (type == LinkMessageType.Bye)
            {
                Finished = true;
            }
            else
            {
                Nak(sequence, LinkNakReason.Malformed);
            }
        }

        private void HandleHello(byte[] f, byte sequence, int length)
        {
            int p = LinkFrame.HeaderBytes;
            if (length < 13)
            {
                Nak(sequence, LinkNakReason.Malformed);
                return;
            }
            int version = LinkBytes.GetUInt16(f, p);
            int cells = f[p + 2];
            int temps = f[p + 3];
            int capacity_mAh = LinkBytes.GetInt32(f, p + 4);
            int initialSoc_pcm = LinkBytes.GetInt32(f, p + 8);
            int nameLength = f[p + 12];
            if (version != LinkBytes.ProtocolVersion || cells < 1 || cells > MaxCells || temps > MaxTemperatures
                || capacity_mAh <= 0 || length != 13 + nameLength)
            {
                Nak(sequence, LinkNakReason.Malformed);
                return;
            }
            var name = new char[nameLength];
            for (int i = 0; i < nameLength; i++)
            {
                name[i] = (char)f[p + 13 + i];
            }
            ChemistryProfile chemistry = ChemistryProfiles.FromName(new string(name));
            if (chemistry == null)
            {
                Nak(sequence, LinkNakReason.Malformed);
                return;
            }

            BmsConfiguration config = BmsConfiguration.Create(chemistry, cells, temps, capacity_mAh);
            config.InitialSoc_pcm = initialSoc_pcm;
            _monitor = new StreamedCellMonitor(cells, temps);
            var negative = new LoopbackContactor();
            var positive = new LoopbackContactor();
            var precharge = new LoopbackContactor();
            var hardware = new BmsHardware();
            hardware.Monitor = _monitor;
            hardware.Clock = _clock;
            hardware.NegativeContactor = negative;
            hardware.PositiveContactor = positive;
            hardware.PrechargeRelay = precharge;
            hardware.NegativeFeedback = negative;
            hardware.PositiveFeedback = positive;
            hardware.Storage = new RamStorage(4096);
            hardware.LinkVoltageSensor = new LoopbackLinkVoltage(_monitor, negative, positive, precharge);
            BmsSystem system;
            try
            {
                system = new BmsSystem(config, hardware);
            }
            catch (ArgumentException)
            {
                Nak(sequence, LinkNakReason.Malformed);
                return;
            }

            _system = system;
            _system.SetEventSink(_events);
            _negative = negative;
            _positive = positive;
            _cellCount = cells;
            _temperatureCount = temps;
            _cells = new int[cells];
            _temps = new int[temps];
            _configured = true;
            _hasSample = false;
            _events.Clear();
            _lastDecisionLength = 0;
            SamplesProcessed = 0;
            Finished = false;
            _expectedSequence = (byte)(sequence + 1);

            int q = LinkFrame.HeaderBytes;
            LinkBytes.PutInt16(_replyTx, q, LinkBytes.ProtocolVersion);
            _replyTx[q + 2] = (byte)cells;
            _replyTx[q + 3] = (byte)temps;
            Send(_replyTx, LinkFrame.Seal(_replyTx, LinkMessageType.HelloAck, sequence, 4));
        }

        private void HandleSample(byte[] f, byte sequence, int length)
        {
            if (!_configured)
            {
                Nak(sequence, LinkNakReason.NotConfigured);
                return;
            }
            if (_hasSample && sequence == _lastSequence && _lastDecisionLength > 0)
            {
                // The host did not get our answer and asked again: repeat it, do not run the step twice.
                Send(_tx, _lastDecisionLength);
                return;
            }
            if (sequence != _expectedSequence)
            {
                Nak(sequence, LinkNakReason.SequenceGap);
                return;
            }
            if (length != 12 + 2 * _cellCount + 2 * _temperatureCount)
            {
                Nak(sequence, LinkNakReason.Malformed);
                return;
            }
            int p = LinkFrame.HeaderBytes;
            long time_ms = LinkBytes.GetInt64(f, p);
            if (_hasSample && time_ms < _lastSampleTime_ms)
            {
                Nak(sequence, LinkNakReason.Malformed);
                return;
            }
            int current_mA = LinkBytes.GetInt32(f, p + 8);
            for (int i = 0; i < _cellCount; i++)
            {
                _cells[i] = LinkBytes.GetInt16(f, p + 12 + 2 * i);
            }
            for (int i = 0; i < _temperatureCount; i++)
            {
                _temps[i] = LinkBytes.GetInt16(f, p + 12 + 2 * _cellCount + 2 * i);
            }

            long started_us = _boardClock.Now_us;
            if (!_hasSample)
            {
                // Firmware time starts at 0 on the first sample, as in the host replay.
                _firstSampleTime_ms = time_ms;
                _lastPoll_ms = 0;
                _clock.Set(0);
                _monitor.SetSample(current_mA, _cells, _temps);
                UpdateLoad();
                _system.Start();
                _system.RequestClose();
                UpdateLoad();
                _system.Poll();
            }
            else
            {
                // The replay's schedule: polls on the 10 ms grid of firmware time, each seeing the rows at or
                // before it. Grid points before the new sample still see the previous one (zero-order hold).
                long t = time_ms - _firstSampleTime_ms;
                long next = _lastPoll_ms + PollStep_ms;
                while (next < t)
                {
                    PollAt(next);
                    next += PollStep_ms;
                }
                _monitor.SetSample(current_mA, _cells, _temps);
                if (t % PollStep_ms == 0)
                {
                    PollAt(t);
                }
            }
            long compute_us = _boardClock.Now_us - started_us;

            _hasSample = true;
            _lastSampleTime_ms = time_ms;
            _lastSequence = sequence;
            _expectedSequence = (byte)(sequence + 1);
            SamplesProcessed++;
            _lastDecisionLength = WriteDecision(sequence, time_ms, compute_us);
            Send(_tx, _lastDecisionLength);
        }

        private void PollAt(long firmwareTime_ms)
        {
            _clock.Set(firmwareTime_ms);
            _lastPoll_ms = firmwareTime_ms;
            UpdateLoad();
            _system.Poll();
        }

        /// <summary>
        /// The recorded load current flows only while both main contactors are closed: once the firmware opens
        /// them, the load the recording came from is disconnected (the host replay does the same).
        /// </summary>
        private void UpdateLoad()
        {
            _monitor.SetLoadConnected(_negative.State && _positive.State);
        }

        private int WriteDecision(byte sequence, long time_ms, long compute_us)
        {
            int q = LinkFrame.HeaderBytes;
            LinkBytes.PutInt64(_tx, q, time_ms); q += 8;
            LinkBytes.PutInt32(_tx, q, _system.PackSoc_pcm); q += 4;
            _tx[q++] = (byte)_system.Contactors;
            LinkBytes.PutInt32(_tx, q, _system.ChargeLimit_mA); q += 4;
            LinkBytes.PutInt32(_tx, q, _system.DischargeLimit_mA); q += 4;
            _tx[q++] = (byte)_system.HighestActiveLevel;
            LinkBytes.PutInt32(_tx, q, compute_us > int.MaxValue ? int.MaxValue : (int)compute_us); q += 4;
            bool[] balancing = _system.BalancingCells;
            int bitmapBytes = (_cellCount + 7) / 8;
            for (int i = 0; i < bitmapBytes; i++)
            {
                _tx[q + i] = 0;
            }
            for (int i = 0; i < _cellCount; i++)
            {
                if (balancing[i])
                {
                    _tx[q + (i >> 3)] |= (byte)(1 << (i & 7));
                }
            }
            q += bitmapBytes;
            _tx[q++] = (byte)_events.Count;
            _tx[q++] = (byte)(_events.Dropped > 255 ? 255 : _events.Dropped);
            for (int i = 0; i < _events.Count; i++)
            {
                LinkBytes.PutInt64(_tx, q, _events.Time_ms[i]); q += 8;
                _tx[q++] = (byte)_events.Code[i];
                _tx[q++] = (byte)_events.Level[i];
                _tx[q++] = (byte)(sbyte)_events.Cell[i];
                _tx[q++] = _events.Active[i] ? (byte)1 : (byte)0;
            }
            _events.Clear();
            return LinkFrame.Seal(_tx, LinkMessageType.Decision, sequence, q - LinkFrame.HeaderBytes);
        }

        private void Nak(byte sequence, byte reason)
        {
            FramesRefused++;
            int q = LinkFrame.HeaderBytes;
            _replyTx[q] = reason;
            _replyTx[q + 1] = _expectedSequence;
            // Own buffer: the last decision stays intact for a host that repeats its sample after this Nak.
            Send(_replyTx, LinkFrame.Seal(_replyTx, LinkMessageType.Nak, sequence, 2));
        }

        private void Send(byte[] frame, int length)
        {
            _channel.Write(frame, 0, length);
        }

        /// <summary>Trace time as the firmware's clock.</summary>
        private sealed class SettableClock : IMonotonicClock
        {
            private long _now_ms;
            public long Now_ms { get { return _now_ms; } }
            public long Now_us { get { return _now_ms * 1000; } }
            public void Set(long now_ms) { _now_ms = now_ms; }
        }

        /// <summary>A contactor whose auxiliary contact follows its coil (no HV hardware in simulation mode).</summary>
        private sealed class LoopbackContactor : IDigitalOutput, IDigitalInput
        {
            private bool _state;
            public bool State { get { return _state; } }
            public void Write(bool energised) { _state = energised; }
            public bool Read() { return _state; }
        }

        /// <summary>The link follows the stack as soon as a path through the contactors is closed.</summary>
        private sealed class LoopbackLinkVoltage : ILinkVoltageSensor
        {
            private readonly StreamedCellMonitor _monitor;
            private readonly LoopbackContactor _negative;
            private readonly LoopbackContactor _positive;
            private readonly LoopbackContactor _precharge;
            private readonly Bms.Drivers.CellMonitoring.CellMonitorReadings _readings;

            public LoopbackLinkVoltage(StreamedCellMonitor monitor, LoopbackContactor negative, LoopbackContactor positive, LoopbackContactor precharge)
            {
                _monitor = monitor;
                _negative = negative;
                _positive = positive;
                _precharge = precharge;
                _readings = new Bms.Drivers.CellMonitoring.CellMonitorReadings(monitor.CellCount, monitor.TemperatureCount);
            }

            public bool TryRead(out int link_mV)
            {
                link_mV = 0;
                if (!_negative.State || !(_positive.State || _precharge.State))
                {
                    return true;
                }
                _monitor.Measure(_readings);
                if (!_readings.StackVoltageValid)
                {
                    return false;
                }
                link_mV = _readings.StackVoltage_mV;
                return true;
            }
        }

        /// <summary>Volatile storage: simulation mode must not touch the board's real SoC record or fault log.</summary>
        private sealed class RamStorage : INonVolatileStorage
        {
            private readonly byte[] _memory;
            public RamStorage(int size) { _memory = new byte[size]; }
            public int Size { get { return _memory.Length; } }

            public bool Read(int address, byte[] buffer, int offset, int count)
            {
                if (address < 0 || count < 0 || address + count > _memory.Length) return false;
                Array.Copy(_memory, address, buffer, offset, count);
                return true;
            }

            public bool Write(int address, byte[] buffer, int offset, int count)
            {
                if (address < 0 || count < 0 || address + count > _memory.Length) return false;
                Array.Copy(buffer, offset, _memory, address, count);
                return true;
            }
        }

        /// <summary>Events raised between two decisions, in fixed arrays.</summary>
        private sealed class EventBuffer : IBmsEventSink
        {
            public readonly long[] Time_ms;
            public readonly int[] Code;
            public readonly int[] Level;
            public readonly int[] Cell;
            public readonly bool[] Active;
            public int Count;
            public int Dropped;

            public EventBuffer(int capacity)
            {
                Time_ms = new long[capacity];
                Code = new int[capacity];
                Level = new int[capacity];
                Cell = new int[capacity];
                Active = new bool[capacity];
            }

            public void OnEvent(long time_ms, BmsEventCode code, ProtectionLevel level, int cell, bool active)
            {
                if (Count == Time_ms.Length)
                {
                    Dropped++;
                    return;
                }
                Time_ms[Count] = time_ms;
                Code[Count] = (int)code;
                Level[Count] = (int)level;
                Cell[Count] = cell;
                Active[Count] = active;
                Count++;
            }

            public void Clear()
            {
                Count = 0;
                Dropped = 0;
            }
        }
    }
}
