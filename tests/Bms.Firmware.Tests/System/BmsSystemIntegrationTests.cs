using Bms.Drivers.CellMonitoring;
using Bms.Emulators.Common;
using Bms.Firmware.Composition;
using Bms.Firmware.Contactors;
using Bms.Firmware.Events;
using Bms.Firmware.Storage;

namespace Bms.Firmware.Tests.System;

public class BmsSystemIntegrationTests
{
    [Fact]
    public void Losing_the_AFE_opens_the_contactors_with_AfeCommunication_after_the_timeout()
    {
        var rig = new SystemRig();
        rig.Bms.Start();
        rig.Bms.RequestClose();
        rig.RunMs(2000);
        Assert.Equal(ContactorState.Closed, rig.Bms.Contactors);
        rig.Monitor.CommunicationLost = true;
        rig.RunMs(900);
        Assert.Equal(ContactorState.Closed, rig.Bms.Contactors);
        Assert.DoesNotContain(rig.Sink.Events, e => e.Code == BmsEventCode.CellUnderVoltage); // invalid is not 0 V
        rig.RunMs(300);
        Assert.True(rig.Sink.Raised(BmsEventCode.AfeCommunication, ProtectionLevel.Fault));
        Assert.Equal(ContactorState.Fault, rig.Bms.Contactors);
        Assert.False(rig.Bms.ResetFaults());
        // A silent AFE is one AfeCommunication fault, not a SensorFault per thermistor behind it.
        Assert.DoesNotContain(rig.Sink.Events, e => e.Code == BmsEventCode.SensorFault);
        rig.Monitor.CommunicationLost = false;
        // Readings come back valid at the next scan: the condition clears, the latch holds until the reset.
        rig.RunMs(500);
        Assert.Equal(ContactorState.Fault, rig.Bms.Contactors);
        Assert.True(rig.Bms.ResetFaults(), string.Join(", ", rig.Sink.Events));
        Assert.Contains(rig.Sink.Events, e => e.Code == BmsEventCode.AfeCommunication && !e.Active);
    }

    [Fact]
    public void The_internal_state_sees_an_event_before_the_external_sink()
    {
        var rig = new SystemRig();
        bool latchedWhenNotified = false;
        rig.Bms.SetEventSink(new LambdaSink((t, c, l, cell, a) => { if (c == BmsEventCode.CellUnderVoltage && l == ProtectionLevel.Fault && a) latchedWhenNotified = rig.Bms.FaultLatched; }));
        rig.Bms.Start();
        rig.Monitor.CellVoltage_mV[0] = 1900; // below the UV fault (2000 mV for NMC)
        rig.RunMs(2000);
        Assert.True(latchedWhenNotified);
    }

    [Fact]
    public void Events_reach_the_fault_log_with_their_code_and_cell()
    {
        var rig = new SystemRig();
        rig.Bms.Start();
        rig.Monitor.CellVoltage_mV[3] = 4200 + 30; // beyond the OV warning (4200 mV for NMC)
        rig.RunMs(3000);
        var log = rig.Bms.FaultLog;
        Assert.NotNull(log);
        Assert.True(log!.Count > 0);
        var record = new FaultRecord();
        Assert.True(log.TryRead(log.Count - 1, record));
        Assert.Contains(rig.Sink.Events, e => e.Code == BmsEventCode.CellOverVoltage && e.Cell == 3);
    }

    [Fact]
    public void The_periodic_save_is_written_a_slice_per_tick_and_loads_after_a_power_cycle()
    {
        var profile = Bms.Firmware.Chemistry.ChemistryProfiles.FromName("nmc-graphite");
        var storage = new RamStorage(8192);
        var first = new SystemRig(cells: 36, configure: c => { c.InitialSoc_pcm = 60000; c.SocPersistPeriod_ms = 20000; }, storage: storage);
        first.SetCells(profile.OcvFromSoc_mV(60000, 250));
        first.Bms.Start();
        // The 1 s task runs 50 ms after the 100 ms task (BmsSystem.SlowTaskOffset_ms).
        first.RunMs(20000 + BmsSystem.SlowTaskOffset_ms);
        var record = first.Bms.StateRecord!;
        Assert.True(record.SaveInProgress); // begun at 20.05 s, written over the following ticks
        Assert.Equal(0u, record.LastSequence);
        first.RunMs(6000);
        Assert.False(record.SaveInProgress);
        Assert.True(record.LastSaveOk);
        Assert.Equal(1u, record.LastSequence);
        int soc = first.Bms.PackSoc_pcm;

        var second = new SystemRig(cells: 36, configure: c => c.InitialSoc_pcm = -1, storage: storage);
        second.SetCells(profile.OcvFromSoc_mV(66000, 250));
        second.Bms.Start();
        Assert.InRange(second.Bms.PackSoc_pcm, soc - 1000, soc + 1000);
    }

    [Fact]
    public void A_save_period_shorter_than_the_slices_still_saves_each_time_the_last_save_is_done()
    {
        var profile = Bms.Firmware.Chemistry.ChemistryProfiles.FromName("nmc-graphite");
        var first = new SystemRig(cells: 36, configure: c => { c.InitialSoc_pcm = 60000; c.SocPersistPeriod_ms = 1000; }, storage: new RamStorage(8192));
        first.SetCells(profile.OcvFromSoc_mV(60000, 250));
        first.Bms.Start();
        first.RunMs(31000);
        // 1,316 bytes in 32-byte slices take about 5 s: about six saves in 30 s, none abandoned.
        Assert.InRange(first.Bms.StateRecord!.LastSequence, 5u, 7u);
        Assert.True(first.Bms.StateRecord.LastSaveOk);
    }

    [Fact]
    public void Estimator_state_survives_a_power_cycle_and_a_torn_write_keeps_the_previous_copy()
    {
        var profile = Bms.Firmware.Chemistry.ChemistryProfiles.FromName("nmc-graphite");
        var storage = new RamStorage(8192);
        var first = new SystemRig(configure: c => c.InitialSoc_pcm = 60000, storage: storage);
        first.SetCells(profile.OcvFromSoc_mV(60000, 250));
        first.Bms.Start();
        first.RunMs(2000);
        Assert.True(first.Bms.PersistState());
        int soc = first.Bms.PackSoc_pcm;
        Assert.InRange(soc, 59000, 61000);

        // A later save is cut after a few bytes: the earlier copy must still load.
        storage.CutAfterBytes(7);
        Assert.False(first.Bms.PersistState());
        storage.Restore();

        // After the power cycle the cells read a little higher (within the estimator's 10 % OCV cross-check):
        // the persisted state wins over the OCV...
        int laterOcv = profile.OcvFromSoc_mV(66000, 250);
        var second = new SystemRig(configure: c => c.InitialSoc_pcm = -1, storage: storage);
        second.SetCells(laterOcv);
        second.Bms.Start();
        Assert.InRange(second.Bms.PackSoc_pcm, soc - 1000, soc + 1000);

        // ...whereas without a record the OCV is all there is.
        var blank = new SystemRig(configure: c => c.InitialSoc_pcm = -1);
        blank.SetCells(laterOcv);
        blank.Bms.Start();
        Assert.InRange(blank.Bms.PackSoc_pcm, 65000, 67000);
    }

    [Fact]
    public void The_soc_starts_from_the_first_complete_scan_not_from_an_unread_AFE()
    {
        var profile = Bms.Firmware.Chemistry.ChemistryProfiles.FromName("nmc-graphite");
        var rig = new SystemRig(configure: c => c.InitialSoc_pcm = -1);
        rig.SetCells(profile.OcvFromSoc_mV(80000, 250));
        rig.Monitor.CommunicationLost = true; // the first scan after configuration reads nothing
        rig.Bms.Start();
        Assert.Equal(-1, rig.Bms.PackSoc_pcm);
        Assert.False(rig.Bms.SocKnown);
        rig.Monitor.CommunicationLost = false;
        rig.RunMs(100);
        Assert.True(rig.Bms.SocKnown);
        Assert.InRange(rig.Bms.PackSoc_pcm, 79000, 81000);
    }

    [Fact]
    public void A_configured_initial_soc_is_reported_until_the_estimator_starts()
    {
        var rig = new SystemRig(configure: c => c.InitialSoc_pcm = 100000);
        rig.Monitor.CommunicationLost = true;
        rig.Bms.Start();
        Assert.False(rig.Bms.SocKnown);
        Assert.Equal(100000, rig.Bms.PackSoc_pcm);
    }

    [Fact]
    public void Thermal_runaway_from_the_guard_latches_and_opens_the_contactors()
    {
        var rig = new SystemRig();
        rig.Bms.Start();
        rig.Bms.RequestClose();
        rig.RunMs(2000);
        Assert.Equal(ContactorState.Closed, rig.Bms.Contactors);
        // Sensor 0 climbs 3 °C/s from 25 °C past the 75 °C maximum operating temperature of the NMC envelope.
        for (int step = 0; step < 200; step++)
        {
            rig.Monitor.Temperature_dC[0] = 250 + 3 * step;
            rig.RunMs(100);
        }
        Assert.True(rig.Sink.Raised(BmsEventCode.ThermalRunaway, ProtectionLevel.Fault), string.Join(", ", rig.Sink.Events));
        Assert.Equal(ContactorState.Fault, rig.Bms.Contactors);
        Assert.False(rig.Bms.ResetFaults()); // still hot and rising
    }

    [Fact]
    public void An_external_current_sensor_is_used_when_the_AFE_has_none()
    {
        var sensor = new FakeCurrentSensor { Current_mA = -1234 };
        var rig = new SystemRig(hasCurrentSense: false, currentSensor: sensor);
        rig.Bms.Start();
        rig.Run(5);
        Assert.True(rig.Bms.Snapshot.CurrentValid);
        Assert.Equal(-1234, rig.Bms.Snapshot.Current_mA);
        sensor.Valid = false;
        rig.Run(1);
        Assert.False(rig.Bms.Snapshot.CurrentValid);
    }

    [Fact]
    public void A_chip_reset_is_answered_by_reconfiguring_the_chip()
    {
        var rig = new SystemRig();
        rig.Bms.Start();
        int before = rig.Monitor.Initializations;
        rig.Monitor.Faults = CellMonitorFaults.DeviceReset;
        rig.RunMs(100);
        rig.Monitor.Faults = 0;
        Assert.True(rig.Monitor.Initializations > before);
    }

    [Fact]
    public void Temperatures_are_taken_from_the_configured_AFE_channels()
    {
        var rig = new SystemRig(temps: 2, afeTemps: 3, configure: c => c.TemperatureChannel = new[] { 2, 0 });
        rig.Monitor.Temperature_dC[0] = 211;
        rig.Monitor.Temperature_dC[1] = 999;
        rig.Monitor.Temperature_dC[2] = 233;
        rig.Bms.Start();
        Assert.Equal(233, rig.Bms.Snapshot.Temperature_dC[0]);
        Assert.Equal(211, rig.Bms.Snapshot.Temperature_dC[1]);
    }

    [Fact]
    public void An_open_sense_wire_found_by_the_periodic_test_is_a_fault()
    {
        var rig = new SystemRig(configure: c => c.OpenWireCheckPeriod_ms = 5000);
        rig.Bms.Start();
        rig.Monitor.OpenWires![2] = true;
        rig.RunMs(6000);
        var e = rig.Sink.Events.Single(x => x.Code == BmsEventCode.OpenWire && x.Active);
        Assert.Equal(2, e.Cell);
        Assert.True(rig.Bms.FaultLatched);
    }

    [Fact]
    public void Raising_and_clearing_events_in_steady_state_allocates_nothing()
    {
        var rig = new SystemRig();
        rig.Bms.SetEventSink(null!);
        rig.Bms.Start();
        rig.Bms.RequestClose();
        rig.Run(7000); // past the first SoC save and a full warning cycle
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int cycle = 0; cycle < 3; cycle++)
        {
            rig.Monitor.CellVoltage_mV[0] = 4210; // OV warning (4200 mV for NMC) raised...
            rig.Run(300);
            rig.Monitor.CellVoltage_mV[0] = 3700; // ...and cleared
            rig.Run(400);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(rig.Bms.EventCount >= 6, $"events: {rig.Bms.EventCount}");
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void A_monitor_of_another_size_is_refused_with_the_reason()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
        {
            var config = BmsConfiguration.Create(Bms.Firmware.Chemistry.ChemistryProfiles.FromName("lfp"), 8, 2, 2500);
            var clock = new VirtualClock();
            return new BmsSystem(config, new BmsHardware
            {
                Monitor = new FakeCellMonitor(4, 2),
                Clock = clock,
                NegativeContactor = new RecordingOutput(),
                PositiveContactor = new RecordingOutput(),
                PrechargeRelay = new RecordingOutput(),
            });
        });
        Assert.Contains("CellCount", ex.Message);
    }

    private sealed class LambdaSink(Action<long, BmsEventCode, ProtectionLevel, int, bool> action) : IBmsEventSink
    {
        public void OnEvent(long time_ms, BmsEventCode code, ProtectionLevel level, int cell, bool active) => action(time_ms, code, level, cell, active);
    }
}
