using Bms.Firmware.Chemistry;
using Bms.Firmware.Estimation;
using Bms.Firmware.Measurement;
using Bms.Firmware.Storage;
using Bms.Firmware.Tests.Chemistry;
using Bms.Reference;
using Bms.Traces;
using Bms.Traces.Import;

namespace Bms.Firmware.Tests.Estimation;

public class StateEstimatorTests
{
    private static string Excerpt(string name) => Path.Combine(TestData.RepoRoot(), "tests", "Bms.Firmware.Tests", "Data", "samsung30q", name);

    public static TheoryData<string> Excerpts => new()
    {
        "DNN01_HPPC_1C_30amb_first2h30.csv",
        "Q30_S001_4C.csv",
        "Q30_S001_C10_every30th.csv",
    };

    [Theory, MemberData(nameof(Excerpts))]
    public void Fixed_point_estimator_stays_within_0_1_percent_of_the_double_reference(string excerpt)
    {
        var trace = Samsung30qImporter.Import(Excerpt(excerpt));
        var result = SocAccuracy.Run(trace, ChemistryProfiles.NmcGraphite, 3000, 30, 30, 100, withReference: true);
        Assert.True(result.MaxDeviationFromReference_pct <= 0.1, $"{excerpt}: fixed point deviates {result.MaxDeviationFromReference_pct:F3} % from the reference");
    }

    [Fact]
    public void Fixed_point_matches_the_reference_on_a_4_cell_pack_with_gaps_and_dropouts()
    {
        var trace = WithDropouts(Samsung30qImporter.ToTrace(Samsung30qRecording.Read(Excerpt("Q30_S001_4C.csv")), 4));
        var result = SocAccuracy.Run(trace, ChemistryProfiles.NmcGraphite, 3000, 20, -30, 100, withReference: true);
        Assert.True(result.MaxDeviationFromReference_pct <= 0.1, $"deviation {result.MaxDeviationFromReference_pct:F3} %");
    }

    /// <summary>Removes a 40 s block of rows (logger gap) and blanks some fields (sensor dropouts).</summary>
    private static Trace WithDropouts(Trace source)
    {
        var trace = new Trace(source.Cells, source.Temps) { Capacity_mAh = source.Capacity_mAh, Name = source.Name + " with gaps" };
        for (int k = 0; k < source.Samples.Count; k++)
        {
            if (k >= 300 && k < 340) continue;
            var s = source.Samples[k];
            if (k % 17 == 5) s.Current_mA = Trace.Missing;
            if (k % 13 == 7) s.Cell_mV[k % s.Cell_mV.Length] = Trace.Missing;
            if (k % 11 == 3) s.Temp_dC[0] = Trace.Missing;
            trace.Samples.Add(s);
        }
        return trace;
    }

    [Fact]
    public void Estimate_is_the_same_with_held_100_ms_ticks_and_with_one_update_per_sample()
    {
        var trace = Samsung30qImporter.Import(Excerpt("Q30_S001_4C.csv"));
        var held = SocAccuracy.Run(trace, ChemistryProfiles.NmcGraphite, 3000, 30, 30, 100);
        var perSample = SocAccuracy.Run(trace, ChemistryProfiles.NmcGraphite, 3000, 30, 30, 1000);
        // The 1 s run never presents the first (rest) sample as a measurement; after the settling time both agree.
        Assert.InRange(held.RmseAfterSettle_pct - perSample.RmseAfterSettle_pct, -0.75, 0.75);
    }

    [Fact]
    public void Coulomb_counting_loses_nothing_over_three_days_of_small_currents()
    {
        var profile = ChemistryProfiles.NmcGraphite;
        var est = new StateEstimator(profile, 2, 3000);
        var snap = new MeasurementSnapshot(2, 1);
        snap.CurrentValid = true;
        snap.Current_mA = 0;
        snap.TemperatureValid[0] = true;
        snap.Temperature_dC[0] = 250;
        est.Start(snap, 50000);
        long start = est.GetCellCharge_uAms(0);
        long expected = 0;
        int previous = 0;
        var rng = new Random(7);
        // Voltages invalid: pure coulomb counting. Currents of a few mA, odd intervals: every increment is sub-pcm.
        for (long t = 0; t < 3L * 24 * 3600 * 1000;)
        {
            long dt = 97 + rng.Next(7);
            t += dt;
            int current = rng.Next(-3, 4);
            // trapezoid of the previous and the new sample, in µA·ms (exact in integers: 500·(a+b)·dt)
            expected += (previous + current) * 1000L / 2 * dt;
            previous = current;
            snap.Current_mA = current;
            snap.CurrentTime_ms = t;
            snap.Time_ms = t;
            est.Update100ms(snap);
        }
        Assert.Equal(start + expected, est.GetCellCharge_uAms(0));
        Assert.Equal(est.GetCellCharge_uAms(0), est.GetCellCharge_uAms(1));
        Assert.Equal(expected, est.NetThroughput_uAms);
    }

    [Theory]
    [InlineData(new[] { 50000, 50000 }, 50000)]
    [InlineData(new[] { 20000, 90000 }, 66666)]
    [InlineData(new[] { 0, 90000 }, 0)]
    [InlineData(new[] { 10000, 100000 }, 100000)]
    [InlineData(new[] { 40000, 60000, 50000 }, 50000)]
    public void Pack_soc_is_zero_when_the_weakest_cell_is_empty_and_full_when_the_first_cell_is_full(int[] cells, int expected)
    {
        var profile = ChemistryProfiles.NmcGraphite;
        var est = new StateEstimator(profile, cells.Length, 3000);
        var snap = new MeasurementSnapshot(cells.Length, 1);
        // Start each cell at its own SoC: OCV start with the matching voltages at rest.
        for (int c = 0; c < cells.Length; c++)
        {
            snap.CellValid[c] = true;
            snap.CellVoltage_mV[c] = profile.OcvFromSoc_mV(cells[c], 250);
        }
        snap.CurrentValid = true;
        snap.TemperatureValid[0] = true;
        snap.Temperature_dC[0] = 250;
        est.Start(snap, -1);
        for (int c = 0; c < cells.Length; c++) Assert.InRange(est.GetCellSoc_pcm(c), cells[c] - 1000, cells[c] + 1000);
        int min = Enumerable.Range(0, cells.Length).Min(est.GetCellSoc_pcm), max = Enumerable.Range(0, cells.Length).Max(est.GetCellSoc_pcm);
        int formula = min + (100000 - max) == 0 ? 0 : (int)((long)min * 100000 / (min + (100000 - max)));
        Assert.Equal(formula, est.PackSoc_pcm);
        Assert.InRange(est.PackSoc_pcm, expected - 1500, expected + 1500);
    }

    [Fact]
    public void Updates_allocate_nothing()
    {
        var profile = ChemistryProfiles.NmcGraphite;
        var est = new StateEstimator(profile, 16, 3000);
        var snap = new MeasurementSnapshot(16, 4);
        for (int c = 0; c < 16; c++) { snap.CellValid[c] = true; snap.CellVoltage_mV[c] = 3700 + c; }
        for (int k = 0; k < 4; k++) { snap.TemperatureValid[k] = true; snap.Temperature_dC[k] = 250; }
        snap.CurrentValid = true;
        snap.Current_mA = -3000;
        est.Start(snap, 30000); // far off: the covariance products take the 128-bit path
        long t = 0;
        void Tick()
        {
            t += 100;
            snap.Time_ms = t;
            snap.CurrentTime_ms = t;
            snap.Current_mA = (t / 10000) % 2 == 0 ? -3000 : 0;
            est.Update100ms(snap);
            if (t % 1000 == 0) est.Update1s(snap);
        }
        for (int k = 0; k < 200; k++) Tick(); // warm up (JIT, lazy statics)
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 5000; k++) Tick();
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, after - before);
    }

    [Fact]
    public void Invalid_cells_and_stale_current_are_not_used()
    {
        var profile = ChemistryProfiles.NmcGraphite;
        var est = new StateEstimator(profile, 2, 3000);
        var snap = new MeasurementSnapshot(2, 1);
        snap.CellValid[0] = true; snap.CellVoltage_mV[0] = profile.OcvFromSoc_mV(60000, 250);
        snap.CellValid[1] = true; snap.CellVoltage_mV[1] = profile.OcvFromSoc_mV(60000, 250);
        snap.CurrentValid = true;
        snap.TemperatureValid[0] = true; snap.Temperature_dC[0] = 250;
        est.Start(snap, -1);
        int before1 = est.GetCellSoc_pcm(1);
        // Cell 2 reports a nonsense voltage but flagged invalid; the current sensor goes invalid for a minute.
        snap.CellValid[1] = false;
        snap.CellVoltage_mV[1] = 0;
        snap.CurrentValid = false;
        snap.Current_mA = -100000;
        for (long t = 100; t <= 60000; t += 100) { snap.Time_ms = t; snap.CurrentTime_ms = t; est.Update100ms(snap); }
        Assert.Equal(before1, est.GetCellSoc_pcm(1));
        Assert.InRange(est.GetCellSoc_pcm(0), 59000, 61000);
    }

    [Fact]
    public void State_survives_a_restart_through_non_volatile_storage_and_a_torn_save_is_never_loaded()
    {
        var profile = ChemistryProfiles.NmcGraphite;
        var trace = Samsung30qImporter.Import(Excerpt("Q30_S001_4C.csv"));
        var est = new StateEstimator(profile, 1, 3000);
        var mem = new FakeNonVolatileMemory(1024);
        var store = new PersistentRecordStore(mem, 0, est.PersistedStateSize);
        var scratch = new byte[est.PersistedStateSize];
        var snap = new MeasurementSnapshot(1, 1);
        void Fill(TraceSample s, long t)
        {
            snap.Time_ms = t; snap.CurrentTime_ms = t; snap.CurrentValid = true; snap.Current_mA = s.Current_mA;
            snap.CellValid[0] = true; snap.CellVoltage_mV[0] = s.Cell_mV[0]; snap.TemperatureValid[0] = true; snap.Temperature_dC[0] = s.Temp_dC[0];
        }
        Fill(trace.Samples[0], 0);
        est.Start(snap, -1);
        for (int k = 1; k < 400; k++) { Fill(trace.Samples[k], trace.Samples[k].Time_ms); est.Update100ms(snap); }
        Assert.True(est.Save(store, scratch));
        int savedSoc = est.GetCellSoc_pcm(0);
        long savedCharge = est.GetCellCharge_uAms(0);
        for (int k = 400; k < 500; k++) { Fill(trace.Samples[k], trace.Samples[k].Time_ms); est.Update100ms(snap); }
        mem.CutNextWriteAfter = 37; // power fails during the next save
        Assert.False(est.Save(store, scratch));

        var restarted = new StateEstimator(profile, 1, 3000);
        Assert.True(restarted.Load(new PersistentRecordStore(mem, 0, restarted.PersistedStateSize), new byte[restarted.PersistedStateSize]));
        Fill(trace.Samples[400], 0);
        snap.Current_mA = -11950; // under load: no OCV cross-check, the persisted SoC is taken
        restarted.Start(snap, -1);
        Assert.Equal(savedCharge, restarted.GetCellCharge_uAms(0));
        Assert.Equal(savedSoc, restarted.GetCellSoc_pcm(0));

        // A record of another pack layout is refused.
        var other = new StateEstimator(profile, 2, 3000);
        Assert.False(other.Load(new PersistentRecordStore(mem, 0, restarted.PersistedStateSize), new byte[other.PersistedStateSize + 64]));
    }
}

public class StateEstimatorStartTests
{
    [Fact]
    public void Start_without_any_valid_voltage_waits_for_the_first_valid_scan()
    {
        var profile = ChemistryProfiles.NmcGraphite;
        var est = new StateEstimator(profile, 2, 3000);
        var snap = new MeasurementSnapshot(2, 1);
        snap.CurrentValid = true;
        est.Start(snap, -1);
        Assert.False(est.IsStarted);
        Assert.Equal(50000, est.PackSoc_pcm);
        snap.Time_ms = snap.CurrentTime_ms = 100;
        snap.CellValid[0] = snap.CellValid[1] = true;
        snap.CellVoltage_mV[0] = snap.CellVoltage_mV[1] = profile.OcvFromSoc_mV(80000, 250);
        est.Update100ms(snap);
        Assert.True(est.IsStarted);
        Assert.InRange(est.PackSoc_pcm, 79000, 81000);
    }
}

public class StateEstimatorCalibrationTests
{
    private static (StateEstimator, MeasurementSnapshot) Started(int soc_pcm)
    {
        var est = new StateEstimator(ChemistryProfiles.NmcGraphite, 1, 3000);
        var snap = new MeasurementSnapshot(1, 1);
        snap.CurrentValid = true;
        snap.CellValid[0] = true;
        snap.CellVoltage_mV[0] = ChemistryProfiles.NmcGraphite.OcvFromSoc_mV(soc_pcm, 250);
        snap.TemperatureValid[0] = true;
        snap.Temperature_dC[0] = 250;
        est.Start(snap, soc_pcm);
        return (est, snap);
    }

    [Fact]
    public void End_of_constant_voltage_charge_sets_100_percent()
    {
        var (est, snap) = Started(90000);
        snap.CellVoltage_mV[0] = 4198; // held at the CV level
        snap.Current_mA = 80;          // taper below C/30
        for (long t = 100; t <= 5000; t += 100) { snap.Time_ms = snap.CurrentTime_ms = t; est.Update100ms(snap); }
        Assert.Equal(100000, est.GetCellSoc_pcm(0));
        Assert.Equal(100000, est.PackSoc_pcm);
    }

    [Fact]
    public void Cut_off_voltage_at_a_low_rate_sets_0_percent_but_not_at_a_high_rate()
    {
        var (est, snap) = Started(8000);
        snap.CellVoltage_mV[0] = 2495;
        snap.Current_mA = -300; // C/10
        for (long t = 100; t <= 2000; t += 100) { snap.Time_ms = snap.CurrentTime_ms = t; est.Update100ms(snap); }
        Assert.Equal(0, est.GetCellSoc_pcm(0));

        var (fast, fastSnap) = Started(30000);
        fastSnap.CellVoltage_mV[0] = 2495;
        fastSnap.Current_mA = -12000; // 4C: the cut-off is reached with charge left
        fastSnap.Time_ms = fastSnap.CurrentTime_ms = 100;
        fast.Update100ms(fastSnap);
        Assert.True(fast.GetCellSoc_pcm(0) > 0);
    }
}
