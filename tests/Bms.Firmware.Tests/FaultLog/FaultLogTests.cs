using System;
using System.Collections.Generic;
using Bms.Firmware.Events;
using Bms.Firmware.Measurement;
using Bms.Firmware.Storage;
using Xunit;
using Xunit.Abstractions;
using Log = Bms.Firmware.Storage.FaultLog;

namespace Bms.Firmware.Tests.FaultLog
{
    public class FaultLogTests
    {
        private const int Base = 64; // the log need not start at address 0
        private readonly ITestOutputHelper _output;

        public FaultLogTests(ITestOutputHelper output)
        {
            _output = output;
        }

        private static MeasurementSnapshot Snapshot()
        {
            var s = new MeasurementSnapshot(4, 2);
            int[] cells = { 3701, 3650, 3720, 3699 };
            for (int i = 0; i < 4; i++) { s.CellVoltage_mV[i] = cells[i]; s.CellValid[i] = true; }
            s.Temperature_dC[0] = 312; s.Temperature_dC[1] = 455;
            s.TemperatureValid[0] = true; s.TemperatureValid[1] = true;
            s.Current_mA = -12345;
            s.CurrentValid = true;
            return s;
        }

        /// <summary>Event n of a test: distinct time, code and cell so every record is recognisable.</summary>
        private static void Raise(Log log, int n)
        {
            log.OnEvent(1000L * n + 7, (BmsEventCode)(1 + n % 17), (ProtectionLevel)(1 + n % 3), n % 5 - 1, n % 2 == 0);
        }

        private static void AssertIsEvent(FaultRecord r, int n)
        {
            Assert.Equal(1000L * n + 7, r.Time_ms);
            Assert.Equal((BmsEventCode)(1 + n % 17), r.Code);
            Assert.Equal((ProtectionLevel)(1 + n % 3), r.Level);
            Assert.Equal(n % 5 - 1, r.Cell);
            Assert.Equal(n % 2 == 0, r.Active);
        }

        [Fact]
        public void Records_carry_the_event_and_a_measurement_snapshot()
        {
            var storage = new RamStorage(1024);
            var log = new Log(storage, Base, 8, Snapshot()) { StateOfCharge_pcm = 54321 };
            log.OnEvent(987654321012, BmsEventCode.ThermalRunaway, ProtectionLevel.Fault, 1, true);
            Assert.Equal(1, log.PendingCount);
            Assert.Equal(0, log.Count);
            Assert.Equal(1, log.Flush());

            var r = new FaultRecord();
            Assert.True(log.TryRead(0, r));
            Assert.Equal(1u, r.Sequence);
            Assert.Equal(987654321012, r.Time_ms);
            Assert.Equal(BmsEventCode.ThermalRunaway, r.Code);
            Assert.Equal(ProtectionLevel.Fault, r.Level);
            Assert.True(r.Active);
            Assert.Equal(1, r.Cell);
            Assert.True(r.CellsValid);
            Assert.Equal(3650, r.MinCell_mV);
            Assert.Equal(1, r.MinCellIndex);
            Assert.Equal(3720, r.MaxCell_mV);
            Assert.Equal(2, r.MaxCellIndex);
            Assert.True(r.TemperatureValid);
            Assert.Equal(455, r.MaxTemperature_dC);
            Assert.Equal(1, r.MaxTemperatureSensor);
            Assert.True(r.CurrentValid);
            Assert.Equal(-12345, r.Current_mA);
            Assert.True(r.SocValid);
            Assert.Equal(54321, r.Soc_pcm);
            Assert.False(log.TryRead(1, r));
            Assert.False(log.TryRead(-1, r));

            // Nothing outside the log's region was touched.
            for (int a = 0; a < Base; a++) { Assert.Equal(0xFF, storage.Memory[a]); }
        }

        [Fact]
        public void Ring_keeps_the_newest_records_and_recovers_them_after_reboot()
        {
            var storage = new RamStorage(1024);
            var log = new Log(storage, Base, 5, null);
            for (int n = 1; n <= 11; n++) { Raise(log, n); log.Flush(); }
            Assert.Equal(4, log.Capacity);
            Assert.Equal(4, log.Count);
            Assert.Equal(11u, log.NewestSequence);

            var again = new Log(storage.Reboot(), Base, 5, null);
            Assert.Equal(4, again.Count);
            Assert.Equal(11u, again.NewestSequence);
            var r = new FaultRecord();
            for (int i = 0; i < 4; i++)
            {
                Assert.True(again.TryRead(i, r));
                Assert.Equal((uint)(8 + i), r.Sequence);
                AssertIsEvent(r, 8 + i);
                Assert.False(r.CellsValid); // no snapshot given
            }
        }

        [Theory]
        [InlineData(0x00)]
        [InlineData(0xFF)]
        public void Blank_memory_is_an_empty_log(byte erased)
        {
            var log = new Log(new RamStorage(1024, erased), 0, 10, null);
            Assert.Equal(0, log.Count);
            Assert.Equal(0u, log.NewestSequence);
            Raise(log, 1);
            log.Flush();
            Assert.Equal(1, log.Count);
            Assert.Equal(1u, log.NewestSequence);
        }

        [Fact]
        public void Random_garbage_reads_back_as_nothing()
        {
            var storage = new RamStorage(4096);
            new Random(5).NextBytes(storage.Memory);
            var log = new Log(storage, 0, 100, null);
            Assert.Equal(0, log.Count);
        }

        /// <summary>
        /// Power is cut after every possible number of bytes while three records are being written into a log
        /// that has already wrapped. After reboot every record completed before the cut must read back exactly,
        /// the one being written is either absent or complete, nothing else appears, and the log continues.
        /// </summary>
        [Fact]
        public void Power_loss_at_any_byte_loses_at_most_the_record_being_written()
        {
            const int slots = 6;
            var prepared = new RamStorage(1024);
            var first = new Log(prepared, Base, slots, null);
            for (int n = 1; n <= 8; n++) { Raise(first, n); first.Flush(); }

            const int newRecords = 3;
            int totalBytes = newRecords * FaultRecord.Size;
            var r = new FaultRecord();
            for (int cut = 0; cut <= totalBytes; cut++)
            {
                var storage = prepared.Reboot();
                var log = new Log(storage, Base, slots, null);
                Assert.Equal(8u, log.NewestSequence);
                for (int k = 1; k <= newRecords; k++) { Raise(log, 8 + k); }
                storage.CutAfterBytes = cut;
                log.Flush();

                var rebooted = new Log(storage.Reboot(), Base, slots, null);
                int completed = cut / FaultRecord.Size; // records whose 40 bytes all reached memory
                uint newest = (uint)(8 + completed);
                Assert.Equal(newest, rebooted.NewestSequence);
                Assert.Equal(slots - 1, rebooted.Count);
                for (int i = 0; i < rebooted.Count; i++)
                {
                    Assert.True(rebooted.TryRead(i, r), $"cut {cut}: record {i} unreadable");
                    int n = (int)newest - (rebooted.Count - 1 - i);
                    Assert.Equal((uint)n, r.Sequence);
                    AssertIsEvent(r, n);
                }

                // The log goes on after the torn slot without losing anything.
                Raise(rebooted, 50);
                Assert.Equal(1, rebooted.Flush());
                Assert.Equal(newest + 1, rebooted.NewestSequence);
                Assert.True(rebooted.TryRead(rebooted.Count - 1, r));
                AssertIsEvent(r, 50);
                Assert.True(rebooted.TryRead(rebooted.Count - 2, r));
                Assert.Equal(newest, r.Sequence);
            }
            _output.WriteLine($"checked {totalBytes + 1} cut positions");
        }

        [Fact]
        public void Power_loss_while_the_log_is_still_filling_loses_nothing_else()
        {
            var r = new FaultRecord();
            for (int cut = 0; cut <= 2 * FaultRecord.Size; cut++)
            {
                var storage = new RamStorage(1024);
                var log = new Log(storage, Base, 10, null);
                Raise(log, 1);
                log.Flush();
                Raise(log, 2);
                Raise(log, 3);
                storage.CutAfterBytes = FaultRecord.Size + cut;
                log.Flush();
                var rebooted = new Log(storage.Reboot(), Base, 10, null);
                int expected = 1 + cut / FaultRecord.Size;
                Assert.Equal(expected, rebooted.Count);
                for (int i = 0; i < expected; i++)
                {
                    Assert.True(rebooted.TryRead(i, r));
                    AssertIsEvent(r, i + 1);
                }
            }
        }

        [Fact]
        public void A_flipped_bit_hides_only_that_record()
        {
            var storage = new RamStorage(1024);
            var log = new Log(storage, Base, 8, null);
            for (int n = 1; n <= 5; n++) { Raise(log, n); }
            log.Flush();
            storage.Memory[Base + 2 * FaultRecord.Size + 20] ^= 0x10; // record 3
            var rebooted = new Log(storage.Reboot(), Base, 8, null);
            Assert.Equal(5, rebooted.Count);
            var r = new FaultRecord();
            Assert.True(rebooted.TryRead(1, r));
            AssertIsEvent(r, 2);
            Assert.False(rebooted.TryRead(2, r));
            Assert.True(rebooted.TryRead(3, r));
            AssertIsEvent(r, 4);
        }

        [Fact]
        public void Transient_write_failure_is_retried_without_loss()
        {
            var storage = new RamStorage(1024);
            var log = new Log(storage, Base, 8, null);
            Raise(log, 1);
            storage.FailNextWrites = 1;
            Assert.Equal(0, log.Flush());
            Assert.Equal(1, log.PendingCount);
            Assert.Equal(1, log.WriteFailureCount);
            Assert.Equal(1, log.Flush());
            var r = new FaultRecord();
            Assert.True(log.TryRead(0, r));
            AssertIsEvent(r, 1);
            Assert.Equal(0, log.DroppedCount);
        }

        [Fact]
        public void Full_queue_counts_dropped_events_and_write_through_needs_no_flush()
        {
            var log = new Log(new RamStorage(4096), 0, 64, null);
            for (int n = 0; n < Log.QueueCapacity + 3; n++) { Raise(log, n); }
            Assert.Equal(3, log.DroppedCount);
            Assert.Equal(Log.QueueCapacity, log.Flush());

            log.WriteThrough = true;
            Raise(log, 99);
            Assert.Equal(0, log.PendingCount);
            Assert.Equal(Log.QueueCapacity + 1, log.Count);
        }

        [Fact]
        public void Region_outside_the_storage_is_refused()
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => new Log(new RamStorage(100), 0, 3, null));
            Assert.Throws<ArgumentOutOfRangeException>(() => new Log(new RamStorage(1000), 0, 1, null));
            Assert.Throws<ArgumentNullException>(() => new Log(null!, 0, 3, null));
        }

        [Fact]
        public void Logging_and_flushing_allocate_nothing()
        {
            var log = new Log(new RamStorage(8192), 0, 100, Snapshot());
            for (int n = 0; n < 300; n++) { Raise(log, n); log.Flush(); }
            var r = new FaultRecord();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int n = 0; n < 1000; n++) { Raise(log, n); log.Flush(); log.TryRead(n % log.Count, r); }
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        [Fact]
        public void Thermal_runaway_guard_logs_straight_into_the_fault_log()
        {
            var storage = new RamStorage(2048);
            var scenario = new Safety.PackScenario(cells: 4, sensors: 2);
            var log = new Log(storage, 0, 32, scenario.Snapshot) { WriteThrough = true, StateOfCharge_pcm = 80000 };
            var guard = new Bms.Firmware.Safety.ThermalRunawayGuard(scenario.Config, 4, 2, log);
            scenario.Temperature_C[0] = 70;
            for (long t = 0; t < 20000; t += 100)
            {
                if (t >= 5000) { scenario.Temperature_C[0] = 70 + 5.0 * (t - 5000) / 1000.0; }
                scenario.Snapshot.Time_ms = t;
                for (int i = 0; i < 4; i++) { scenario.Snapshot.CellVoltage_mV[i] = 3700; scenario.Snapshot.CellValid[i] = true; }
                for (int j = 0; j < 2; j++)
                {
                    scenario.Snapshot.Temperature_dC[j] = (int)Math.Round(scenario.Temperature_C[j] * 10);
                    scenario.Snapshot.TemperatureValid[j] = true;
                }
                scenario.Snapshot.CurrentValid = true;
                guard.Update100ms(scenario.Snapshot);
            }
            var recovered = new Log(storage.Reboot(), 0, 32, null);
            Assert.Equal(1, recovered.Count);
            var r = new FaultRecord();
            Assert.True(recovered.TryRead(0, r));
            Assert.Equal(BmsEventCode.ThermalRunaway, r.Code);
            Assert.Equal(ProtectionLevel.Fault, r.Level);
            Assert.Equal(guard.RunawayTime_ms, r.Time_ms);
            Assert.Equal(0, r.MaxTemperatureSensor);
            Assert.True(r.MaxTemperature_dC > 700);
            Assert.Equal(80000, r.Soc_pcm);
        }
    }
}
