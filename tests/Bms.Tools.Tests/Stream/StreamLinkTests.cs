using Trace = Bms.Traces.Trace;
using Bms.Drivers.CellMonitoring;
using Bms.Firmware.Chemistry;
using Bms.Firmware.Composition;
using Bms.Firmware.Contactors;
using Bms.Firmware.Events;
using Bms.Firmware.Link;
using Bms.Hal;
using Bms.Replay.Stream;
using Bms.Tools.Tests.Build;
using Bms.Traces;

namespace Bms.Tools.Tests.Stream;

/// <summary>
/// The simulation link end to end on the host: the replay tool's <see cref="LinkClient"/> talks over an
/// in-process pipe to a <see cref="SimulationSession"/> running the same compiled firmware a board runs.
/// </summary>
public class StreamLinkTests
{
    private readonly ITestOutputHelper _out;
    public StreamLinkTests(ITestOutputHelper output) => _out = output;

    private static string SamplePath => Path.Combine(RepoPaths.Root, "tools", "Bms.Replay", "samples", "hppc-1c-30degC-4s.csv");

    /// <summary>The first <paramref name="rows"/> samples of the bundled HPPC trace, as a trace file.</summary>
    private static string HppcPrefix(int rows)
    {
        var lines = File.ReadAllLines(SamplePath);
        int header = Array.FindIndex(lines, l => l.StartsWith("time_ms", StringComparison.Ordinal));
        string path = Path.Combine(Directory.CreateTempSubdirectory("stream").FullName, "hppc-prefix.csv");
        File.WriteAllLines(path, lines.Take(header + 1 + rows));
        return path;
    }

    /// <summary>
    /// 4 cells, one sample a second, alternating 3 A discharge and rest: every sample costs the board the same
    /// 100 polls, so answer times stay far below the lossy tests' short timeouts.
    /// </summary>
    private static string UniformTrace(int rows)
    {
        var text = new System.Text.StringBuilder();
        text.Append("# bms-trace v1\n# cells=4\n# temps=2\n# capacity_mAh=3000\n# chemistry=nmc-graphite\n");
        text.Append("time_ms,current_mA,v1_mV,v2_mV,v3_mV,v4_mV,t1_dC,t2_dC\n");
        for (int i = 0; i < rows; i++)
        {
            bool load = i % 20 < 10;
            int v = 3900 - i / 4 - (load ? 60 : 0);
            text.Append(i * 1000L).Append(',').Append(load ? -3000 : 0).Append(',').Append(v).Append(',').Append(v + 3).Append(',')
                .Append(v - 2).Append(',').Append(v + 1).Append(",250,252\n");
        }
        string path = Path.Combine(Directory.CreateTempSubdirectory("stream").FullName, "uniform.csv");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    /// <summary>4 cells charging at 1 A; cell 2 climbs from 4150 mV through the NMC 4250 mV limit to 4350 mV.</summary>
    private static string OverVoltageTrace()
    {
        var text = new System.Text.StringBuilder();
        text.Append("# bms-trace v1\n# cells=4\n# temps=2\n# capacity_mAh=3000\n# chemistry=nmc-graphite\n# source=generated over-voltage\n");
        text.Append("time_ms,current_mA,v1_mV,v2_mV,v3_mV,v4_mV,t1_dC,t2_dC\n");
        for (int i = 0; i <= 300; i++)
        {
            long t = i * 100L;
            int v2 = Math.Min(4350, 4150 + i * 2); // +20 mV/s, 4250 mV at 5 s
            text.Append(t).Append(",1000,4100,").Append(v2).Append(",4100,4100,250,251\n");
        }
        string path = Path.Combine(Directory.CreateTempSubdirectory("stream").FullName, "overvoltage.csv");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    private static (StreamResult Result, List<LinkDecision> Decisions, SimulationSession Session) StreamOverPipe(
        string tracePath, LinkPipe pipe, StreamSettings? settings = null)
    {
        var decisions = new List<LinkDecision>();
        using var board = new SimulatedBoard(pipe);
        var info = TraceReader.Validate(tracePath);
        using var reader = TraceReader.Open(tracePath);
        var result = StreamRunner.Run(info, reader, tracePath, pipe.HostEnd, settings ?? new StreamSettings(), decisions.Add);
        return (result, decisions, board.Session);
    }

    [Fact]
    public void Every_sample_is_answered_in_order_with_the_decisions_of_an_in_process_replay()
    {
        string path = HppcPrefix(300);
        string csv = Path.Combine(Path.GetDirectoryName(path)!, "decisions.csv");
        var (result, decisions, session) = StreamOverPipe(path, new LinkPipe(), new StreamSettings { CsvPath = csv });
        var trace = TraceReader.ReadAll(path);

        Assert.Equal(trace.Samples.Count, decisions.Count);
        Assert.Equal(trace.Samples.Count, result.Samples);
        Assert.Equal(trace.Samples.Count, session.SamplesProcessed);
        for (int i = 0; i < decisions.Count; i++) Assert.Equal(trace.Samples[i].Time_ms, decisions[i].Time_ms);
        Assert.Equal(0, result.Link.Retries);
        Assert.True(session.Finished, "the board saw the Bye");

        var reference = InProcessReplay.Run(trace, ChemistryProfiles.NmcGraphite);
        for (int i = 0; i < decisions.Count; i++)
        {
            var d = decisions[i];
            var r = reference.Decisions[i];
            Assert.True(r.Soc_pcm == d.Soc_pcm, "SoC differs at " + d.Time_ms + " ms: link " + d.Soc_pcm + ", replay " + r.Soc_pcm);
            Assert.Equal(r.Contactors, d.Contactors);
            Assert.Equal(r.ChargeLimit_mA, d.ChargeLimit_mA);
            Assert.Equal(r.DischargeLimit_mA, d.DischargeLimit_mA);
            Assert.Equal(r.Level, d.Level);
            Assert.Equal(r.Balancing, d.Balancing);
        }
        Assert.Equal(reference.Events, result.Events);

        // Physically right: the contactors close, and SoC falls over the first 1C discharge pulse.
        Assert.Contains(decisions, d => d.Contactors == ContactorState.Closed);
        int pulse = trace.Samples.FindIndex(s => s.Current_mA < -2000);
        Assert.True(pulse > 0, "the trace prefix holds a discharge pulse");
        int pulseEnd = pulse;
        while (pulseEnd + 1 < trace.Samples.Count && trace.Samples[pulseEnd + 1].Current_mA < -2000) pulseEnd++;
        var before = decisions[pulse - 1];
        var after = decisions[pulseEnd];
        Assert.Equal(ContactorState.Closed, after.Contactors);
        long charge_mAs = 0;
        for (int i = pulse; i <= pulseEnd; i++) charge_mAs += (long)trace.Samples[i].Current_mA * (trace.Samples[i].Time_ms - trace.Samples[i - 1].Time_ms) / 1000;
        int expectedDrop_pcm = (int)(-charge_mAs * 100_000 / (3600L * trace.Capacity_mAh!.Value));
        int drop_pcm = before.Soc_pcm - after.Soc_pcm;
        _out.WriteLine("pulse " + trace.Samples[pulse].Time_ms + ".." + trace.Samples[pulseEnd].Time_ms + " ms: SoC drop " + drop_pcm + " pcm, coulomb count " + expectedDrop_pcm + " pcm");
        Assert.True(drop_pcm > expectedDrop_pcm / 2, "SoC " + before.Soc_pcm + " → " + after.Soc_pcm + " pcm over a discharge of " + expectedDrop_pcm + " pcm");

        var rows = File.ReadAllLines(csv);
        Assert.Equal(StreamRunner.CsvHeader, rows[0]);
        Assert.Equal(decisions.Count + 1, rows.Length);
        Assert.StartsWith((trace.Samples[1].Time_ms - trace.Samples[0].Time_ms) + "," + decisions[1].Soc_pcm + "," + decisions[1].Contactors + ",", rows[2]);

        var summary = new StringWriter();
        StreamRunner.WriteSummary(result, "pipe", summary);
        _out.WriteLine(summary.ToString());
        _out.WriteLine("throughput over the pipe: " + result.SamplesPerSecond.ToString("0") + " samples/s (" +
                       (trace.Samples[^1].Time_ms / 10 / Math.Max(1e-9, result.Wall_s)).ToString("0") + " firmware polls/s)");
    }

    [Fact]
    public void The_board_agrees_with_the_host_replay_through_the_emulated_afe()
    {
        // The full host replay (BQ76952 emulator, real driver, simulated contactors with travel time and a
        // precharged DC link) differs from simulation mode only in what sits below the firmware, so the two must
        // tell the same story: SoC within 0.1 % at every sample, same contactor state and protection level.
        string path = HppcPrefix(300);
        string csv = Path.Combine(Path.GetDirectoryName(path)!, "replay.csv");
        new Bms.Replay.Engine.ReplayEngine(Bms.Replay.Engine.FirmwareRig.Create).Run(path, new Bms.Replay.Engine.ReplaySettings { CsvPath = csv });
        var ticks = File.ReadLines(csv).Skip(1).Select(l => l.Split(',')).ToDictionary(f => long.Parse(f[0]), f => f);
        var (_, decisions, _) = StreamOverPipe(path, new LinkPipe());
        var trace = TraceReader.ReadAll(path);

        int compared = 0, maxDiff = 0;
        for (int i = 1; i < decisions.Count; i++)
        {
            long t = trace.Samples[i].Time_ms - trace.Samples[0].Time_ms;
            if (!ticks.TryGetValue(t, out var tick)) continue;
            var d = decisions[i];
            maxDiff = Math.Max(maxDiff, Math.Abs(int.Parse(tick[1]) - d.Soc_pcm));
            Assert.True(Math.Abs(int.Parse(tick[1]) - d.Soc_pcm) <= 100, "SoC at " + t + " ms: board " + d.Soc_pcm + ", replay " + tick[1]);
            Assert.Equal(tick[2], d.Contactors.ToString());
            Assert.Equal(tick[6], Bms.Replay.Output.JsonSummaryWriter.LevelName(d.Level));
            compared++;
        }
        _out.WriteLine(compared + " samples compared with the emulator replay; largest SoC difference " + maxDiff + " pcm");
        Assert.True(compared > 250, compared + " samples compared");
    }

    [Fact]
    public void Cell_over_voltage_fault_opens_the_contactors_on_the_board()
    {
        var (result, decisions, _) = StreamOverPipe(OverVoltageTrace(), new LinkPipe());

        Assert.Contains(decisions.Take(40), d => d.Contactors == ContactorState.Closed);
        var fault = result.Events.First(e => e.Code == BmsEventCode.CellOverVoltage && e.Level == ProtectionLevel.Fault && e.Active);
        Assert.Equal(1, fault.Cell);
        Assert.InRange(fault.Time_ms, 5000, 6000); // 4250 mV at 5.0 s, 300 ms delay
        var last = decisions[^1];
        Assert.Equal(ProtectionLevel.Fault, last.Level);
        Assert.NotEqual(ContactorState.Closed, last.Contactors);
        Assert.Equal(0, last.ChargeLimit_mA);
        // Before the fault the contactors were closed; every decision after it keeps them open.
        Assert.All(decisions.Where(d => d.Time_ms >= fault.Time_ms + 200), d => Assert.NotEqual(ContactorState.Closed, d.Contactors));
    }

    [Fact]
    public void A_lossy_line_is_recovered_by_retries_with_identical_decisions()
    {
        string path = UniformTrace(120);
        var clean = StreamOverPipe(path, new LinkPipe()).Decisions;

        var pipe = new LinkPipe
        {
            // Host → device: write 0 is the Hello; corrupt the 20th sample, drop the 40th.
            HostToDeviceFilter = (n, data) => n == 20 ? Flip(data, data.Length / 2) : n == 41 ? null : data,
            // Device → host: corrupt the 60th answer's CRC.
            DeviceToHostFilter = (n, data) => n == 60 ? Flip(data, data.Length - 1) : data,
        };
        var (result, lossy, session) = StreamOverPipe(path, pipe, new StreamSettings { Timeout_ms = 400, Retries = 2 });

        Assert.Equal(clean.Count, lossy.Count);
        for (int i = 0; i < clean.Count; i++)
        {
            Assert.Equal(clean[i] with { Compute_us = 0, Balancing = null!, Events = null! }, lossy[i] with { Compute_us = 0, Balancing = null!, Events = null! });
            Assert.Equal(clean[i].Balancing, lossy[i].Balancing);
            Assert.Equal(clean[i].Events, lossy[i].Events);
        }
        Assert.Equal(3, result.Link.Retries);
        Assert.Equal(3, result.Link.Timeouts);
        Assert.Equal(1, result.Link.CrcErrors);
        Assert.Equal(1, session.FramesCorrupted);
        // The answer lost on the way back was repeated, not recomputed: the board ran each sample once.
        Assert.Equal(clean.Count, session.SamplesProcessed);
        _out.WriteLine("lossy run: " + result.Link.Retries + " retries recovered, " + result.Samples + " samples, " + result.Wall_s.ToString("0.00") + " s");
    }

    [Fact]
    public void A_corrupted_length_field_does_not_swallow_the_retries()
    {
        string path = UniformTrace(40);
        var clean = StreamOverPipe(path, new LinkPipe()).Decisions;
        var pipe = new LinkPipe
        {
            // Payload length high byte 0x03: the receiver would wait for ~800 bytes that never come.
            HostToDeviceFilter = (n, data) => n == 10 ? Set(data, 5, 0x03) : data,
            DeviceToHostFilter = (n, data) => n == 20 ? Set(data, 5, 0x03) : data,
        };
        var (result, lossy, session) = StreamOverPipe(path, pipe, new StreamSettings { Timeout_ms = 400, Retries = 1 });

        Assert.Equal(clean.Select(d => (d.Time_ms, d.Soc_pcm, d.Contactors, d.Level)), lossy.Select(d => (d.Time_ms, d.Soc_pcm, d.Contactors, d.Level)));
        Assert.Equal(2, result.Link.Retries);
        Assert.Equal(1, session.FramesCorrupted);
        Assert.Equal(1, result.Link.AbandonedFrames);
    }

    private static byte[] Set(byte[] data, int at, byte value)
    {
        var copy = (byte[])data.Clone();
        copy[at] = value;
        return copy;
    }

    private static byte[] Flip(byte[] data, int at)
    {
        var copy = (byte[])data.Clone();
        copy[at] ^= 0x10;
        return copy;
    }

    [Fact]
    public void A_sequence_gap_gets_a_nak_and_a_repeated_sample_gets_the_same_decision()
    {
        var pipe = new LinkPipe();
        var session = new SimulationSession(pipe.DeviceEnd, new StopwatchClock());
        var host = new RawHost(pipe, session);

        var ack = host.Exchange(LinkMessageType.Hello, 7, HelloPayload(2, 1, 3000, "nmc-graphite"));
        Assert.Equal(LinkMessageType.HelloAck, ack.Type);
        Assert.Equal(7, ack.Sequence);

        var nak = host.Exchange(LinkMessageType.Sample, 9, SamplePayload(0, -1000, new[] { 3700, 3701 }, new[] { 250 }));
        Assert.Equal(LinkMessageType.Nak, nak.Type);
        Assert.Equal(9, nak.Sequence);
        Assert.Equal(LinkNakReason.SequenceGap, nak.Payload[0]);
        Assert.Equal(8, nak.Payload[1]);
        Assert.Equal(0, session.SamplesProcessed);

        var first = host.Exchange(LinkMessageType.Sample, 8, SamplePayload(0, -1000, new[] { 3700, 3701 }, new[] { 250 }));
        Assert.Equal(LinkMessageType.Decision, first.Type);
        var again = host.Exchange(LinkMessageType.Sample, 8, SamplePayload(0, -1000, new[] { 3700, 3701 }, new[] { 250 }));
        Assert.Equal(first.Payload, again.Payload);
        Assert.Equal(1, session.SamplesProcessed);

        // A Nak in between does not lose the decision a host may still ask for again.
        Assert.Equal(LinkMessageType.Nak, host.Exchange(LinkMessageType.Sample, 12, SamplePayload(100, -1000, new[] { 3700, 3701 }, new[] { 250 })).Type);
        Assert.Equal(first.Payload, host.Exchange(LinkMessageType.Sample, 8, SamplePayload(0, -1000, new[] { 3700, 3701 }, new[] { 250 })).Payload);

        // Time going backwards and a wrong pack shape are refused as malformed.
        Assert.Equal(LinkMessageType.Decision, host.Exchange(LinkMessageType.Sample, 9, SamplePayload(1000, -1000, new[] { 3700, 3701 }, new[] { 250 })).Type);
        var back = host.Exchange(LinkMessageType.Sample, 10, SamplePayload(500, -1000, new[] { 3700, 3701 }, new[] { 250 }));
        Assert.Equal(LinkNakReason.Malformed, back.Payload[0]);
        var shape = host.Exchange(LinkMessageType.Sample, 10, SamplePayload(2000, -1000, new[] { 3700, 3701, 3702 }, new[] { 250 }));
        Assert.Equal(LinkNakReason.Malformed, shape.Payload[0]);
    }

    [Fact]
    public void A_sample_before_hello_gets_not_configured_and_a_bad_hello_is_refused()
    {
        var pipe = new LinkPipe();
        var session = new SimulationSession(pipe.DeviceEnd, new StopwatchClock());
        var host = new RawHost(pipe, session);

        var nak = host.Exchange(LinkMessageType.Sample, 1, SamplePayload(0, 0, new[] { 3700 }, Array.Empty<int>()));
        Assert.Equal(LinkMessageType.Nak, nak.Type);
        Assert.Equal(LinkNakReason.NotConfigured, nak.Payload[0]);

        Assert.Equal(LinkNakReason.Malformed, host.Exchange(LinkMessageType.Hello, 2, HelloPayload(4, 2, 3000, "unobtainium")).Payload[0]);
        Assert.Equal(LinkNakReason.Malformed, host.Exchange(LinkMessageType.Hello, 3, HelloPayload(0, 2, 3000, "nmc-graphite")).Payload[0]);
        Assert.Equal(LinkNakReason.Malformed, host.Exchange(LinkMessageType.Hello, 4, HelloPayload(4, 2, 0, "nmc-graphite")).Payload[0]);
        Assert.Null(session.System);
        Assert.Equal(4, session.FramesRefused);
    }

    [Fact]
    public void Missing_values_reach_the_firmware_as_invalid_measurements()
    {
        var pipe = new LinkPipe();
        using var board = new SimulatedBoard(pipe);
        using var client = new LinkClient(pipe.HostEnd, 1000, 1);
        client.Hello(2, 1, 3000, 50000, "nmc-graphite");
        client.Send(0, -500, new[] { 3700, 3700 }, new[] { 250 });
        client.Send(100, Bms.Traces.Trace.Missing, new[] { 3700, Bms.Traces.Trace.Missing }, new[] { Bms.Traces.Trace.Missing });
        var snapshot = board.Session.System!.Snapshot;
        Assert.True(snapshot.CellValid[0]);
        Assert.False(snapshot.CellValid[1]);
        Assert.False(snapshot.TemperatureValid[0]);
        Assert.False(snapshot.CurrentValid);
    }

    [Fact]
    public void A_device_that_never_answers_fails_with_a_clear_error_after_the_retries()
    {
        var pipe = new LinkPipe();
        using var client = new LinkClient(pipe.HostEnd, 50, 2);
        var e = Assert.Throws<LinkException>(() => client.Hello(4, 2, 3000, -1, "nmc-graphite"));
        Assert.Contains("Hello", e.Message);
        Assert.Contains("3 attempts", e.Message);
        Assert.Contains("no answer within 50 ms", e.Message);
        Assert.Equal(2, client.Statistics.Retries);
    }

    [Fact]
    public void A_refused_sample_fails_with_the_devices_reason()
    {
        var pipe = new LinkPipe();
        using var board = new SimulatedBoard(pipe);
        using var client = new LinkClient(pipe.HostEnd, 500, 1);
        client.Hello(2, 1, 3000, -1, "nmc-graphite");
        client.Send(1000, 0, new[] { 3700, 3700 }, new[] { 250 });
        var e = Assert.Throws<LinkException>(() => client.Send(500, 0, new[] { 3700, 3700 }, new[] { 250 }));
        Assert.Contains("sample at 500 ms", e.Message);
        Assert.Contains("malformed", e.Message);
        Assert.Equal(2, client.Statistics.Naks);
    }

    internal static byte[] HelloPayload(int cells, int temps, int capacity_mAh, string chemistry)
    {
        var b = new byte[13 + chemistry.Length];
        LinkBytes.PutInt16(b, 0, LinkBytes.ProtocolVersion);
        b[2] = (byte)cells;
        b[3] = (byte)temps;
        LinkBytes.PutInt32(b, 4, capacity_mAh);
        LinkBytes.PutInt32(b, 8, -1);
        b[12] = (byte)chemistry.Length;
        for (int i = 0; i < chemistry.Length; i++) b[13 + i] = (byte)chemistry[i];
        return b;
    }

    internal static byte[] SamplePayload(long time_ms, int current_mA, int[] cells, int[] temps)
    {
        var b = new byte[12 + 2 * cells.Length + 2 * temps.Length];
        LinkBytes.PutInt64(b, 0, time_ms);
        LinkBytes.PutInt32(b, 8, current_mA);
        for (int i = 0; i < cells.Length; i++) LinkBytes.PutInt16(b, 12 + 2 * i, cells[i]);
        for (int i = 0; i < temps.Length; i++) LinkBytes.PutInt16(b, 12 + 2 * cells.Length + 2 * i, temps[i]);
        return b;
    }

    /// <summary>Hand-made frames against a session polled on the test thread.</summary>
    private sealed class RawHost
    {
        private readonly LinkPipe _pipe;
        private readonly SimulationSession _session;
        private readonly LinkFrameReader _reader = new();

        public RawHost(LinkPipe pipe, SimulationSession session)
        {
            _pipe = pipe;
            _session = session;
        }

        public (byte Type, byte Sequence, byte[] Payload) Exchange(byte type, byte sequence, byte[] payload)
        {
            var frame = new byte[LinkFrame.HeaderBytes + payload.Length + LinkFrame.TrailerBytes];
            payload.CopyTo(frame, LinkFrame.HeaderBytes);
            LinkFrame.Seal(frame, type, sequence, payload.Length);
            _pipe.ToDevice.Add(frame);
            _session.Poll();
            var buffer = new byte[2048];
            int n = _pipe.ToHost.Take(buffer, 0, buffer.Length, 0);
            for (int i = 0; i < n; i++)
            {
                if (_reader.Push(buffer[i]))
                {
                    Assert.Equal(n, i + 1); // exactly one answer per request
                    return (_reader.Type, _reader.Sequence, _reader.Buffer.AsSpan(LinkFrame.HeaderBytes, _reader.PayloadLength).ToArray());
                }
            }
            throw new Xunit.Sdk.XunitException("no answer to frame type " + type + " sequence " + sequence);
        }
    }
}

/// <summary>
/// The reference: the same firmware driven in process the way the host replay drives it (a loop over the 10 ms
/// poll grid, each poll seeing the trace rows at or before it, load current only through closed contactors),
/// with no link in between. Records the state after the poll at each row's time.
/// </summary>
internal static class InProcessReplay
{
    public sealed record Decision(int Soc_pcm, ContactorState Contactors, int ChargeLimit_mA, int DischargeLimit_mA, ProtectionLevel Level, bool[] Balancing);

    public sealed record Result(List<Decision> Decisions, List<LinkEvent> Events);

    public static Result Run(Trace trace, ChemistryProfile chemistry, int socInit_pcm = -1)
    {
        var clock = new GridClock();
        var monitor = new StreamedCellMonitor(trace.Cells, trace.Temps);
        var negative = new Loopback();
        var positive = new Loopback();
        var precharge = new Loopback();
        var events = new List<LinkEvent>();
        var config = BmsConfiguration.Create(chemistry, trace.Cells, trace.Temps, trace.Capacity_mAh ?? chemistry.NominalCapacity_mAh);
        config.InitialSoc_pcm = socInit_pcm;
        var hardware = new BmsHardware
        {
            Monitor = monitor, Clock = clock,
            NegativeContactor = negative, PositiveContactor = positive, PrechargeRelay = precharge,
            NegativeFeedback = negative, PositiveFeedback = positive,
            LinkVoltageSensor = new LinkFollowsStack(trace, negative, positive, precharge, () => monitor),
        };
        var system = new BmsSystem(config, hardware);
        system.SetEventSink(new Recorder(events));

        var cells = new int[trace.Cells];
        var temps = new int[trace.Temps];
        var decisions = new List<Decision>();
        long t0 = trace.Samples[0].Time_ms;
        long end = trace.Samples[^1].Time_ms - t0;
        int next = 0;
        for (long now = 0; now <= end; now += 10)
        {
            int applied = -1;
            while (next < trace.Samples.Count && trace.Samples[next].Time_ms - t0 <= now)
            {
                var s = trace.Samples[next];
                for (int i = 0; i < cells.Length; i++) cells[i] = s.Cell_mV[i] == Trace.Missing ? StreamedCellMonitor.MissingValue : s.Cell_mV[i];
                for (int i = 0; i < temps.Length; i++) temps[i] = s.Temp_dC[i] == Trace.Missing ? StreamedCellMonitor.MissingValue : s.Temp_dC[i];
                monitor.SetSample(s.Current_mA == Trace.Missing ? StreamedCellMonitor.MissingCurrent : s.Current_mA, cells, temps);
                applied = next++;
            }
            clock.Now_ms = now;
            monitor.SetLoadConnected(negative.State && positive.State);
            if (now == 0)
            {
                system.Start();
                system.RequestClose();
                monitor.SetLoadConnected(negative.State && positive.State);
            }
            system.Poll();
            if (applied >= 0)
            {
                var balancing = (bool[])system.BalancingCells.Clone();
                var d = new Decision(system.PackSoc_pcm, system.Contactors, system.ChargeLimit_mA, system.DischargeLimit_mA, system.HighestActiveLevel, balancing);
                // Rows sharing one grid point all see the state after that poll.
                while (decisions.Count < next) decisions.Add(d);
            }
        }
        return new Result(decisions, events);
    }

    private sealed class GridClock : IMonotonicClock
    {
        public long Now_ms { get; set; }
        public long Now_us => Now_ms * 1000;
    }

    private sealed class Loopback : IDigitalOutput, IDigitalInput
    {
        public bool State { get; private set; }
        public void Write(bool energised) => State = energised;
        public bool Read() => State;
    }

    private sealed class LinkFollowsStack : ILinkVoltageSensor
    {
        private readonly Loopback _negative, _positive, _precharge;
        private readonly Func<StreamedCellMonitor> _monitor;
        private readonly CellMonitorReadings _readings;

        public LinkFollowsStack(Trace trace, Loopback negative, Loopback positive, Loopback precharge, Func<StreamedCellMonitor> monitor)
        {
            _negative = negative; _positive = positive; _precharge = precharge; _monitor = monitor;
            _readings = new CellMonitorReadings(trace.Cells, trace.Temps);
        }

        public bool TryRead(out int link_mV)
        {
            link_mV = 0;
            if (!_negative.State || !(_positive.State || _precharge.State)) return true;
            _monitor().Measure(_readings);
            if (!_readings.StackVoltageValid) return false;
            link_mV = _readings.StackVoltage_mV;
            return true;
        }
    }

    private sealed class Recorder : IBmsEventSink
    {
        private readonly List<LinkEvent> _events;
        public Recorder(List<LinkEvent> events) => _events = events;
        public void OnEvent(long time_ms, BmsEventCode code, ProtectionLevel level, int cell, bool active) =>
            _events.Add(new LinkEvent(time_ms, code, level, cell, active));
    }
}

/// <summary>The board side allocates nothing per sample once a stream is running (nanoCLR's GC stops the world).</summary>
public class SimulationSessionAllocationTests
{
    /// <summary>Serves prepared bytes and swallows answers into a fixed buffer: no allocation of its own.</summary>
    private sealed class FixedChannel : ISerialChannel
    {
        private readonly byte[] _input;
        private int _at;
        public int Written;
        public FixedChannel(byte[] input) => _input = input;
        public int Length { get; set; }

        public int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(count, Length - _at);
            Array.Copy(_input, _at, buffer, offset, n);
            _at += n;
            return n;
        }

        public void Write(byte[] buffer, int offset, int count) => Written += count;
    }

    [Fact]
    public void Steady_state_samples_allocate_nothing_on_the_board()
    {
        var frames = new MemoryStream();
        void Add(byte type, byte sequence, byte[] payload)
        {
            var frame = new byte[LinkFrame.HeaderBytes + payload.Length + LinkFrame.TrailerBytes];
            payload.CopyTo(frame, LinkFrame.HeaderBytes);
            frames.Write(frame, 0, LinkFrame.Seal(frame, type, sequence, payload.Length));
        }
        Add(LinkMessageType.Hello, 0, StreamLinkTests.HelloPayload(4, 2, 3000, "nmc-graphite"));
        const int samples = 400;
        var offsets = new int[samples + 1];
        offsets[0] = (int)frames.Length;
        for (int i = 0; i < samples; i++)
        {
            int v = 3700 + (i % 7);
            Add(LinkMessageType.Sample, (byte)(i + 1), StreamLinkTests.SamplePayload(i * 100L, i % 50 < 25 ? -3000 : 1500, new[] { v, v + 2, v - 1, v + 3 }, new[] { 250, 251 }));
            offsets[i + 1] = (int)frames.Length;
        }
        var channel = new FixedChannel(frames.ToArray());
        var session = new SimulationSession(channel, new StopwatchClock());

        // Hello and the first 100 samples: start-up allocations (firmware instance, buffers).
        channel.Length = offsets[100];
        session.Poll();
        Assert.Equal(100, session.SamplesProcessed);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 100; i < samples; i++)
        {
            channel.Length = offsets[i + 1];
            session.Poll();
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(samples, session.SamplesProcessed);
        Assert.True(allocated == 0, allocated + " bytes allocated over " + (samples - 100) + " samples (" + (samples - 100) * 10 + " firmware polls)");
    }
}
