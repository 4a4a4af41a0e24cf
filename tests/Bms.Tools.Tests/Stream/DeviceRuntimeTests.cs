using System.Text;
using Bms.Drivers.CellMonitoring;
using Bms.Firmware.Application;
using Bms.Firmware.Chemistry;
using Bms.Firmware.Composition;
using Bms.Firmware.Contactors;
using Bms.Firmware.Events;
using Bms.Firmware.Link;
using Bms.Firmware.Measurement;
using Bms.Firmware.Telemetry;
using Bms.Hal;

namespace Bms.Tools.Tests.Stream;

/// <summary>The device application's logic (compiled for the MCU, run here): AFE probe, mode choice, telemetry.</summary>
public class DeviceRuntimeTests
{
    [Fact]
    public void Telemetry_line_converts_units_at_the_edge_and_marks_invalid_values()
    {
        var s = new MeasurementSnapshot(3, 2);
        s.CellVoltage_mV[0] = 3650; s.CellValid[0] = true;
        s.CellVoltage_mV[1] = 3712; s.CellValid[1] = true;
        s.CellVoltage_mV[2] = 9999; s.CellValid[2] = false;
        s.Temperature_dC[0] = -5; s.TemperatureValid[0] = true;
        s.Temperature_dC[1] = 253; s.TemperatureValid[1] = false;
        s.Current_mA = -2990; s.CurrentValid = true;
        var f = new TelemetryFormatter();

        int n = f.Format(12000, 87512, s, ContactorState.Closed, 5000, 15000, ProtectionLevel.Warning);
        Assert.Equal("bms t_ms=12000 soc_pct=87.512 cell_min_mV=3650 cell_max_mV=3712 temp_max_C=-0.5 current_mA=-2990 " +
                     "contactors=Closed charge_limit_mA=5000 discharge_limit_mA=15000 level=warning\n", Encoding.ASCII.GetString(f.Buffer, 0, n));

        s.CellValid[0] = s.CellValid[1] = false;
        s.TemperatureValid[0] = false;
        s.CurrentValid = false;
        n = f.Format(0, 5, s, ContactorState.Fault, 0, 0, ProtectionLevel.Fault);
        Assert.Equal("bms t_ms=0 soc_pct=0.005 cell_min_mV=- cell_max_mV=- temp_max_C=- current_mA=- " +
                     "contactors=Fault charge_limit_mA=0 discharge_limit_mA=0 level=fault\n", Encoding.ASCII.GetString(f.Buffer, 0, n));
        foreach (ContactorState state in Enum.GetValues<ContactorState>()) Assert.Equal(state.ToString(), TelemetryFormatter.ContactorName(state));
    }

    [Fact]
    public void An_answering_afe_runs_the_bms_with_one_telemetry_line_a_second()
    {
        var rig = new Rig(afeAnswers: true);
        rig.Runtime.Start();
        Assert.False(rig.Runtime.SimulationMode);
        rig.CloseRequest.Value = true;
        for (int i = 0; i < 2000; i++) // 10 s in 5 ms steps
        {
            rig.Clock.Now_ms += 5;
            rig.Runtime.Step();
        }
        Assert.Equal(10, rig.Runtime.TelemetryLines);
        var lines = rig.Log.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("bms t_ms=")).ToList();
        Assert.Equal(10, lines.Count);
        Assert.StartsWith("bms t_ms=1000 ", lines[0]);
        Assert.Contains("cell_min_mV=3690 cell_max_mV=3710", lines[^1]);
        Assert.Contains("temp_max_C=25.1", lines[^1]);
        Assert.Contains("contactors=Closed", lines[^1]);
        Assert.Equal(ContactorState.Closed, rig.Runtime.System!.Contactors);
        Assert.Empty(rig.Serial.Sent); // nothing on the link in normal mode

        // Opening the interlock withdraws the close request.
        rig.CloseRequest.Value = false;
        for (int i = 0; i < 400; i++) { rig.Clock.Now_ms += 5; rig.Runtime.Step(); }
        Assert.Equal(ContactorState.Open, rig.Runtime.System.Contactors);
    }

    [Fact]
    public void A_silent_afe_puts_the_board_in_simulation_mode_on_the_serial_port()
    {
        var rig = new Rig(afeAnswers: false);
        rig.Runtime.Start();
        Assert.True(rig.Runtime.SimulationMode);
        Assert.Null(rig.Runtime.System);
        Assert.Contains("simulation mode", rig.Log.Text);

        var hello = new byte[LinkFrame.HeaderBytes + 25 + LinkFrame.TrailerBytes];
        StreamLinkTests.HelloPayload(4, 2, 3000, "nmc-graphite").CopyTo(hello, LinkFrame.HeaderBytes);
        int length = LinkFrame.Seal(hello, LinkMessageType.Hello, 0, 13 + "nmc-graphite".Length);
        rig.Serial.Incoming.Enqueue(hello.Take(length).ToArray());
        rig.Runtime.Step();
        var reader = new LinkFrameReader();
        Assert.Contains(rig.Serial.Sent.SelectMany(b => b), b => reader.Push(b));
        Assert.Equal(LinkMessageType.HelloAck, reader.Type);
        Assert.Equal(0, rig.Runtime.TelemetryLines);
    }

    [Theory]
    [InlineData(AfeSetup.Bq76952, 16, 1, 400)]
    [InlineData(AfeSetup.Bq769x0, 15, 1, 100)]
    [InlineData(AfeSetup.Ltc681xChain, 36, 2, 400)]
    public void Every_afe_choice_builds_its_driver_for_the_pack(int afe, int cells, int devices, int i2c_kHz)
    {
        var clock = new ManualClock();
        var monitor = AfeSetup.CreateMonitor(afe, cells, devices, new DeadI2c(), new DeadSpi(), clock, clock);
        Assert.Equal(cells, monitor.CellCount);
        Assert.Equal(i2c_kHz, AfeSetup.I2cClock_kHz(afe));
        Assert.Equal(afe != AfeSetup.Ltc681xChain, AfeSetup.UsesI2c(afe));
        // Nothing on the bus answers: the probe fails, which is what sends a bare board to simulation mode.
        Assert.False(monitor.Initialize());
        Assert.Throws<ArgumentException>(() => AfeSetup.CreateMonitor(AfeSetup.Ltc681xChain, 35, 2, null!, new DeadSpi(), clock, clock));
    }

    private sealed class Rig
    {
        public readonly ManualClock Clock = new();
        public readonly FakeSerial Serial = new();
        public readonly TextLog Log = new();
        public readonly Input CloseRequest = new();
        public readonly DeviceRuntime Runtime;

        public Rig(bool afeAnswers)
        {
            var monitor = new FixedMonitor(afeAnswers);
            var negative = new Loopback();
            var positive = new Loopback();
            var precharge = new Loopback();
            var hardware = new BmsHardware
            {
                Monitor = monitor, Clock = Clock, NegativeContactor = negative, PositiveContactor = positive, PrechargeRelay = precharge,
                NegativeFeedback = negative, PositiveFeedback = positive, Log = Log,
                LinkVoltageSensor = new LinkSensor(negative, positive, precharge),
            };
            var config = BmsConfiguration.Create(ChemistryProfiles.NmcGraphite, 4, 2, 3000);
            Runtime = new DeviceRuntime(config, hardware, CloseRequest, Serial, Log);
        }
    }

    private sealed class FixedMonitor : ICellMonitor
    {
        private readonly bool _answers;
        public FixedMonitor(bool answers) => _answers = answers;
        public int CellCount => 4;
        public int TemperatureCount => 2;
        public bool HasCurrentSense => true;
        public bool HasFetControl => false;
        public CellMonitorStatistics Statistics { get; } = new();
        public bool Initialize() => _answers;

        public bool Measure(CellMonitorReadings r)
        {
            r.InvalidateAll();
            if (!_answers) return false;
            int[] cells = { 3700, 3690, 3710, 3705 };
            for (int i = 0; i < 4; i++) { r.CellVoltage_mV[i] = cells[i]; r.CellValid[i] = true; }
            r.Temperature_dC[0] = 250; r.Temperature_dC[1] = 251; r.TemperatureValid[0] = r.TemperatureValid[1] = true;
            r.StackVoltage_mV = 14805; r.StackVoltageValid = true;
            return ReadCurrent(r);
        }

        public bool ReadCurrent(CellMonitorReadings r)
        {
            r.Current_mA = 0;
            r.CurrentValid = _answers;
            return _answers;
        }

        public bool SetBalancing(bool[] cellsToDischarge) => _answers;
        public bool SetProtectionFets(bool chargeOn, bool dischargeOn) => false;
        public bool CheckOpenWires(bool[] openWire) => false;
    }

    private sealed class LinkSensor : ILinkVoltageSensor
    {
        private readonly Loopback _n, _p, _pre;
        public LinkSensor(Loopback n, Loopback p, Loopback pre) { _n = n; _p = p; _pre = pre; }

        public bool TryRead(out int link_mV)
        {
            link_mV = _n.State && (_p.State || _pre.State) ? 14805 : 0;
            return true;
        }
    }

    internal sealed class ManualClock : IMonotonicClock, IDelay
    {
        public long Now_ms { get; set; }
        public long Now_us => Now_ms * 1000;
        public void Wait_us(int microseconds) => Now_ms += (microseconds + 999) / 1000;
    }

    private sealed class Loopback : IDigitalOutput, IDigitalInput
    {
        public bool State { get; private set; }
        public void Write(bool energised) => State = energised;
        public bool Read() => State;
    }

    private sealed class Input : IDigitalInput
    {
        public bool Value;
        public bool Read() => Value;
    }

    private sealed class FakeSerial : ISerialChannel
    {
        public readonly Queue<byte[]> Incoming = new();
        public readonly List<byte[]> Sent = new();

        public int Read(byte[] buffer, int offset, int count)
        {
            if (Incoming.Count == 0) return 0;
            var data = Incoming.Dequeue();
            Assert.True(data.Length <= count, "test frames fit the session's read buffer in one piece or are split by the test");
            Array.Copy(data, 0, buffer, offset, data.Length);
            return data.Length;
        }

        public void Write(byte[] buffer, int offset, int count) => Sent.Add(buffer.AsSpan(offset, count).ToArray());
    }

    private sealed class TextLog : ILogSink
    {
        private readonly StringBuilder _text = new();
        public string Text => _text.ToString();
        public void WriteLine(string text) => _text.Append(text).Append('\n');
        public void Write(byte[] buffer, int offset, int count) => _text.Append(Encoding.ASCII.GetString(buffer, offset, count));
    }

    private sealed class DeadI2c : II2cDevice
    {
        public int Address => 0x08;
        public BusStatus Write(byte[] buffer, int offset, int count) => BusStatus.AddressNack;
        public BusStatus Read(byte[] buffer, int offset, int count) => BusStatus.AddressNack;
        public BusStatus WriteRead(byte[] w, int wo, int wc, byte[] r, int ro, int rc) => BusStatus.AddressNack;
    }

    private sealed class DeadSpi : ISpiDevice
    {
        // An isoSPI bridge with nothing behind it reads all ones.
        public BusStatus TransferFullDuplex(byte[] writeBuffer, int writeOffset, byte[] readBuffer, int readOffset, int count)
        {
            if (readBuffer is not null) for (int i = 0; i < count; i++) readBuffer[readOffset + i] = 0xFF;
            return BusStatus.Ok;
        }
    }
}
