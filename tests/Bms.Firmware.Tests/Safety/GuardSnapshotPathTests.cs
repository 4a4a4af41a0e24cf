using System;
using System.Linq;
using Bms.Drivers.CellMonitoring;
using Bms.Firmware.Events;
using Bms.Firmware.Measurement;
using Bms.Firmware.Safety;
using Xunit;

namespace Bms.Firmware.Tests.Safety
{
    /// <summary>
    /// The guard's shortcuts through the snapshot: the cell summary (lowest cell above every collapse limit) and
    /// held temperatures (an AFE converting its thermistors every few scans) give the results of the plain paths.
    /// </summary>
    public class GuardSnapshotPathTests
    {
        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        public void Collapse_verdicts_with_the_summary_equal_those_without_over_random_collapses_and_invalid_cells(int seed)
        {
            const int cells = 12, sensors = 2;
            var rng = new Random(seed);
            var config = new ThermalRunawayConfig();
            var sinkPlain = new RecordingSink();
            var sinkSummary = new RecordingSink();
            var plain = new ThermalRunawayGuard(config, cells, sensors, sinkPlain);
            var summary = new ThermalRunawayGuard(config, cells, sensors, sinkSummary);
            var byHand = new MeasurementSnapshot(cells, sensors);
            var copied = new MeasurementSnapshot(cells, sensors);
            var voltage = new int[cells];
            var valid = new bool[cells];
            var level = new int[cells];
            for (int i = 0; i < cells; i++) level[i] = 3600 + rng.Next(-50, 50);
            int collapsedTicks = 0;
            for (int tick = 0; tick < 4000; tick++)
            {
                long now = tick * 100L;
                if (rng.Next(200) == 0) level[rng.Next(cells)] = rng.Next(2) == 0 ? 2400 : 3600; // collapse or recover
                if (rng.Next(50) == 0) level[rng.Next(cells)] += rng.Next(-300, 300);
                for (int i = 0; i < cells; i++)
                {
                    voltage[i] = level[i] + rng.Next(-3, 4);
                    valid[i] = rng.Next(40) != 0;
                }
                // By hand: an invalid cell keeps its stale value, as CopyCells leaves it.
                for (int i = 0; i < cells; i++)
                {
                    if (valid[i]) byHand.CellVoltage_mV[i] = voltage[i];
                    byHand.CellValid[i] = valid[i];
                }
                byHand.CellSummaryKnown = false;
                copied.CopyCells(voltage, valid, null);
                foreach (var s in new[] { byHand, copied })
                {
                    s.Time_ms = now;
                    s.Current_mA = 0;
                    s.CurrentValid = true;
                    for (int j = 0; j < sensors; j++) { s.Temperature_dC[j] = 250; s.TemperatureValid[j] = true; }
                }
                plain.Update100ms(byHand);
                summary.Update100ms(copied);
                Assert.Equal(plain.AnyCellVoltageCollapsed, summary.AnyCellVoltageCollapsed);
                if (plain.AnyCellVoltageCollapsed) collapsedTicks++;
                for (int i = 0; i < cells; i++)
                {
                    Assert.Equal(plain.IsCellVoltageCollapsed(i), summary.IsCellVoltageCollapsed(i));
                    Assert.Equal(plain.GetCellReference_mV(i), summary.GetCellReference_mV(i));
                }
            }
            Assert.Equal(sinkPlain.Events, sinkSummary.Events);
            Assert.InRange(collapsedTicks, 1, 3999); // both verdicts occurred
        }

        [Fact]
        public void Held_scans_give_the_rates_and_confirmation_of_a_guard_fed_only_the_converted_scans()
        {
            const int cells = 4, sensors = 3;
            var config = new ThermalRunawayConfig();
            var sinkHeld = new RecordingSink();
            var sinkSparse = new RecordingSink();
            var held = new ThermalRunawayGuard(config, cells, sensors, sinkHeld);
            var sparse = new ThermalRunawayGuard(config, cells, sensors, sinkSparse);
            var a = new MeasurementSnapshot(cells, sensors);
            var b = new MeasurementSnapshot(cells, sensors);
            var rng = new Random(4);
            var converted = new int[sensors];
            for (int tick = 0; tick < 3000; tick++)
            {
                long now = tick * 100L;
                bool converting = tick % 2 == 0;
                if (converting)
                {
                    for (int j = 0; j < sensors; j++)
                    {
                        // Sensor 0 heats from 150 s at 2 °C/s to far past the maximum operating temperature.
                        double t_C = 25 + (j == 0 && now > 150_000 ? (now - 150_000) / 500.0 : 0);
                        converted[j] = (int)Math.Round(t_C * 10) + rng.Next(-2, 3);
                    }
                }
                foreach (var s in new[] { a, b })
                {
                    s.Time_ms = now;
                    s.Current_mA = 0;
                    s.CurrentValid = true;
                    for (int i = 0; i < cells; i++) { s.CellVoltage_mV[i] = 3600; s.CellValid[i] = true; }
                    for (int j = 0; j < sensors; j++) { s.Temperature_dC[j] = converted[j]; s.TemperatureValid[j] = true; }
                }
                a.TemperaturesHeld = !converting;
                held.Update100ms(a);
                if (converting)
                {
                    sparse.Update100ms(b);
                    for (int j = 0; j < sensors; j++)
                    {
                        Assert.Equal(sparse.IsTemperatureRateValid(j), held.IsTemperatureRateValid(j));
                        Assert.Equal(sparse.GetTemperatureRate_mdC_per_s(j), held.GetTemperatureRate_mdC_per_s(j));
                        Assert.Equal(sparse.GetSensorFault(j), held.GetSensorFault(j));
                    }
                    Assert.Equal(sparse.RateConditionMet, held.RateConditionMet);
                    Assert.Equal(sparse.MaxTemperatureReached, held.MaxTemperatureReached);
                    Assert.Equal(sparse.RunawayConfirmed, held.RunawayConfirmed);
                }
                else
                {
                    // Nothing new to judge: the verdicts of the last conversion stand.
                    Assert.Equal(sparse.RateConditionMet, held.RateConditionMet);
                    Assert.Equal(sparse.MaxTemperatureReached, held.MaxTemperatureReached);
                }
            }
            Assert.True(held.RunawayConfirmed);
            Assert.Equal(sinkSparse.First(BmsEventCode.ThermalRunaway), sinkHeld.First(BmsEventCode.ThermalRunaway));
        }

        [Fact]
        public void Snapshot_takes_the_drivers_summary_and_matches_the_array_copy()
        {
            var rng = new Random(9);
            const int cells = 20;
            var viaReadings = new MeasurementSnapshot(cells, 1);
            var viaArrays = new MeasurementSnapshot(cells, 1);
            var readings = new CellMonitorReadings(cells, 1);
            for (int round = 0; round < 2000; round++)
            {
                readings.InvalidateAll();
                int count = 0, sum = 0, hi = int.MinValue, lo = int.MaxValue, hiI = -1, loI = -1;
                bool allValid = rng.Next(2) == 0;
                for (int i = 0; i < cells; i++)
                {
                    readings.CellVoltage_mV[i] = 3000 + rng.Next(0, 5);
                    readings.CellValid[i] = allValid || rng.Next(4) != 0;
                    if (!readings.CellValid[i]) continue;
                    int v = readings.CellVoltage_mV[i];
                    count++; sum += v;
                    if (v > hi) { hi = v; hiI = i; }
                    if (v < lo) { lo = v; loI = i; }
                }
                // Half the rounds as a driver that writes the summary, half as one that does not.
                if (rng.Next(2) == 0)
                {
                    readings.ValidCellCount = count; readings.ValidCellSum_mV = sum;
                    readings.HighestCell_mV = hi; readings.HighestCellIndex = hiI;
                    readings.LowestCell_mV = lo; readings.LowestCellIndex = loI;
                    readings.CellSummaryKnown = true;
                }
                bool[]? open = rng.Next(10) == 0 ? new bool[cells + 1] : null;
                if (open != null) open[rng.Next(cells + 1)] = true;
                viaReadings.CopyCells(readings, open);
                viaArrays.CopyCells(readings.CellVoltage_mV, readings.CellValid, open);
                Assert.Equal(viaArrays.CellVoltage_mV, viaReadings.CellVoltage_mV);
                Assert.Equal(viaArrays.CellValid, viaReadings.CellValid);
                Assert.True(viaReadings.CellSummaryKnown);
                Assert.Equal(viaArrays.ValidCellCount, viaReadings.ValidCellCount);
                Assert.Equal(viaArrays.ValidCellSum_mV, viaReadings.ValidCellSum_mV);
                Assert.Equal(viaArrays.HighestCell_mV, viaReadings.HighestCell_mV);
                Assert.Equal(viaArrays.HighestCellIndex, viaReadings.HighestCellIndex);
                Assert.Equal(viaArrays.LowestCell_mV, viaReadings.LowestCell_mV);
                Assert.Equal(viaArrays.LowestCellIndex, viaReadings.LowestCellIndex);
            }
        }
    }
}
