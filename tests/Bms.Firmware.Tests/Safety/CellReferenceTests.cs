using Bms.Firmware.Measurement;
using Bms.Firmware.Safety;
using Xunit;

namespace Bms.Firmware.Tests.Safety
{
    /// <summary>
    /// Condition (a) through the per-cell limit is the percentage rule exactly, and the references moved in
    /// slices over several ticks equal one move of every cell at the survey.
    /// </summary>
    public class CellReferenceTests
    {
        private static void Tick(ThermalRunawayGuard guard, MeasurementSnapshot s, long time, int[] cells)
        {
            s.Time_ms = time;
            for (int i = 0; i < cells.Length; i++) { s.CellVoltage_mV[i] = cells[i]; s.CellValid[i] = true; }
            for (int j = 0; j < s.TemperatureCount; j++) { s.Temperature_dC[j] = 250; s.TemperatureValid[j] = true; }
            s.Current_mA = -5000;
            s.CurrentValid = true;
            guard.Update100ms(s);
        }

        [Theory]
        [InlineData(3700, 25)]
        [InlineData(3333, 25)]
        [InlineData(4199, 25)]
        [InlineData(2501, 30)]
        [InlineData(3001, 7)]
        public void A_cell_is_collapsed_exactly_when_its_drop_exceeds_the_share_of_its_reference(int reference_mV, int drop_pct)
        {
            var config = new ThermalRunawayConfig { CellVoltageDrop_pct = drop_pct, VoltageReferenceFreeze_pct = drop_pct < 10 ? drop_pct : 10 };
            var guard = new ThermalRunawayGuard(config, 4, 1, new RecordingSink());
            var s = new MeasurementSnapshot(4, 1);
            int[] cells = { reference_mV, reference_mV, reference_mV, reference_mV };
            Tick(guard, s, 0, cells);
            Assert.Equal(reference_mV, guard.GetCellReference_mV(2));
            long time = 100;
            // Down through the boundary and back up again, within the first second (the reference does not move).
            foreach (int offset in new[] { 4, 2, 1, 0, -1, -2, -4, -1, 0, 1, 3 })
            {
                int v = reference_mV - reference_mV * drop_pct / 100 + offset;
                cells[2] = v;
                Tick(guard, s, time, cells);
                time += 100;
                bool expected = (long)(reference_mV - v) * 100 > (long)reference_mV * drop_pct;
                Assert.Equal(expected, guard.IsCellVoltageCollapsed(2));
                Assert.Equal(expected, guard.AnyCellVoltageCollapsed);
                Assert.False(guard.IsCellVoltageCollapsed(1));
            }
            cells[2] = reference_mV;
            Tick(guard, s, time, cells);
            Assert.False(guard.AnyCellVoltageCollapsed);
        }

        [Fact]
        public void References_moved_in_slices_equal_one_move_of_every_cell()
        {
            const int cellCount = 18;
            var config = new ThermalRunawayConfig();
            var guard = new ThermalRunawayGuard(config, cellCount, 2, new RecordingSink());
            var s = new MeasurementSnapshot(cellCount, 2);
            var cells = new int[cellCount];
            for (int i = 0; i < cellCount; i++) { cells[i] = 3700 + 3 * i; }
            Tick(guard, s, 0, cells);
            // The whole pack sags together under load (no cell falls away, nothing freezes).
            for (int i = 0; i < cellCount; i++) { cells[i] -= 150 + i; }
            for (long t = 100; t < 8000; t += 100) { Tick(guard, s, t, cells); }

            // One move of every cell at the survey (5 s in, the tick after the fifth 1 s bucket closes), as of then.
            const long survey = 5000;
            long tau = config.VoltageReferenceTimeConstant_ms;
            for (int i = 0; i < cellCount; i++)
            {
                long start_q16 = (long)(3700 + 3 * i) << 16;
                long expected_q16 = start_q16 + (((long)cells[i] << 16) - start_q16) * survey / tau;
                Assert.Equal((int)(expected_q16 >> 16), guard.GetCellReference_mV(i));
            }
        }
    }
}
