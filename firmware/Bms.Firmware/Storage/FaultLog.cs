using System;
using Bms.Firmware.Events;
using Bms.Firmware.Measurement;
using Bms.Hal;

namespace Bms.Firmware.Storage
{
    /// <summary>
    /// Power-loss-safe fault log in non-volatile memory. Every event becomes a <see cref="FaultRecord"/> with a
    /// snapshot of the key measurements; records live in a ring of fixed slots, each protected by a CRC-32 and
    /// numbered by a sequence that never repeats. The slot written next is always the one after the newest, and
    /// only <c>slotCount - 1</c> records are ever visible, so a write torn by power loss can destroy nothing but
    /// itself. At start-up the newest record is found by sequence and the log continues after it.
    /// Events are queued in RAM by <see cref="OnEvent"/> (quick, called from the tick) and written by
    /// <see cref="Flush"/> (the 1 s task), or at once when <see cref="WriteThrough"/> is set.
    /// </summary>
    public sealed class FaultLog : IBmsEventSink
    {
        /// <summary>Events held in RAM between flushes; more are counted in <see cref="DroppedCount"/>.</summary>
        public const int QueueCapacity = 16;

        /// <summary>A record that failed to write this many times in a row is given up.</summary>
        public const int MaxWriteAttempts = 3;

        private readonly INonVolatileStorage _storage;
        private readonly int _baseAddress;
        private readonly int _slotCount;
        private readonly MeasurementSnapshot _snapshot;

        private readonly byte[] _slotBuffer = new byte[FaultRecord.Size];
        private readonly byte[] _verifyBuffer = new byte[FaultRecord.Size];
        private readonly FaultRecord _scratch = new FaultRecord();
        private readonly FaultRecord[] _queue;
        private int _queueHead;
        private int _queueCount;
        private int _attempts;

        private int _newestSlot = -1;
        private uint _newestSequence;
        private int _count;

        /// <summary>
        /// Uses <paramref name="slotCount"/> × <see cref="FaultRecord.Size"/> bytes of <paramref name="storage"/>
        /// from <paramref name="baseAddress"/>, and reads the measurements of each event from
        /// <paramref name="snapshot"/> (may be null: records then carry no measurements). Recovers the existing log.
        /// </summary>
        public FaultLog(INonVolatileStorage storage, int baseAddress, int slotCount, MeasurementSnapshot snapshot)
        {
            if (storage == null)
            {
                throw new ArgumentNullException("storage");
            }
            if (slotCount < 2 || baseAddress < 0 || (long)baseAddress + (long)slotCount * FaultRecord.Size > storage.Size)
            {
                throw new ArgumentOutOfRangeException("slotCount", "FaultLog: need at least 2 slots of 40 bytes inside the storage");
            }
            _storage = storage;
            _baseAddress = baseAddress;
            _slotCount = slotCount;
            _snapshot = snapshot;
            _queue = new FaultRecord[QueueCapacity];
            for (int i = 0; i < QueueCapacity; i++)
            {
                _queue[i] = new FaultRecord();
            }
            StateOfCharge_pcm = -1;
            Recover();
        }

        /// <summary>Records that can be read back (at most <see cref="Capacity"/>).</summary>
        public int Count { get { return _count; } }

        /// <summary>Most records the ring keeps: one slot less than it has, the spare absorbs a torn write.</summary>
        public int Capacity { get { return _slotCount - 1; } }

        /// <summary>Sequence of the newest stored record, 0 when the log is empty.</summary>
        public uint NewestSequence { get { return _newestSequence; } }

        /// <summary>Events waiting in RAM for <see cref="Flush"/>.</summary>
        public int PendingCount { get { return _queueCount; } }

        /// <summary>Events lost because the queue was full or a record could not be written.</summary>
        public int DroppedCount { get; private set; }

        /// <summary>Writes that failed or did not read back intact.</summary>
        public int WriteFailureCount { get; private set; }

        /// <summary>When true, <see cref="OnEvent"/> writes at once (for FRAM); otherwise <see cref="Flush"/> does.</summary>
        public bool WriteThrough { get; set; }

        /// <summary>State of charge stored with the next events; negative = unknown.</summary>
        public int StateOfCharge_pcm { get; set; }

        /// <summary>
        /// Reads record <paramref name="index"/> (0 = oldest, Count - 1 = newest) into <paramref name="record"/>.
        /// false when out of range or when the stored bytes no longer verify.
        /// </summary>
        public bool TryRead(int index, FaultRecord record)
        {
            if (record == null || index < 0 || index >= _count)
            {
                return false;
            }
            int slot = (_newestSlot - (_count - 1 - index) + _slotCount) % _slotCount;
            if (!ReadSlot(slot, _scratch))
            {
                return false;
            }
            if (_scratch.Sequence != _newestSequence - (uint)(_count - 1 - index))
            {
                return false;
            }
            record.CopyFrom(_scratch);
            return true;
        }

        /// <summary>Queues the event with a snapshot of the measurements (and writes it when write-through).</summary>
        public void OnEvent(long time_ms, BmsEventCode code, ProtectionLevel level, int cell, bool active)
        {
            if (_queueCount == QueueCapacity)
            {
                DroppedCount++;
                return;
            }
            FaultRecord record = _queue[(_queueHead + _queueCount) % QueueCapacity];
            _queueCount++;
            record.Time_ms = time_ms;
            record.Code = code;
            record.Level = level;
            record.Cell = cell;
            record.Active = active;
            CaptureMeasurements(record);
            if (WriteThrough)
            {
                Flush();
            }
        }

        /// <summary>Writes queued events to storage, oldest first. Returns the number written.</summary>
        public int Flush()
        {
            int written = 0;
            while (_queueCount > 0)
            {
                FaultRecord record = _queue[_queueHead];
                int slot = (_newestSlot + 1) % _slotCount;
                record.Sequence = _newestSequence + 1;
                if (!WriteSlot(slot, record))
                {
                    WriteFailureCount++;
                    _attempts++;
                    if (_attempts < MaxWriteAttempts)
                    {
                        return written;
                    }
                    // Give up this record; its slot is rewritten by the next one.
                    DropHead();
                    DroppedCount++;
                    continue;
                }
                _newestSlot = slot;
                _newestSequence = record.Sequence;
                if (_count < Capacity)
                {
                    _count++;
                }
                DropHead();
                written++;
            }
            return written;
        }

        private void DropHead()
        {
            _queueHead = (_queueHead + 1) % QueueCapacity;
            _queueCount--;
            _attempts = 0;
        }

        private void CaptureMeasurements(FaultRecord record)
        {
            record.CellsValid = false;
            record.TemperatureValid = false;
            record.CurrentValid = false;
            record.MinCell_mV = 0;
            record.MaxCell_mV = 0;
            record.MinCellIndex = 0;
            record.MaxCellIndex = 0;
            record.MaxTemperature_dC = 0;
            record.MaxTemperatureSensor = 0;
            record.Current_mA = 0;
            record.SocValid = StateOfCharge_pcm >= 0;
            record.Soc_pcm = record.SocValid ? StateOfCharge_pcm : 0;
            MeasurementSnapshot s = _snapshot;
            if (s == null)
            {
                return;
            }
            for (int i = 0; i < s.CellCount; i++)
            {
                if (!s.CellValid[i])
                {
                    continue;
                }
                int v = s.CellVoltage_mV[i];
                if (!record.CellsValid || v < record.MinCell_mV)
                {
                    record.MinCell_mV = v;
                    record.MinCellIndex = i;
                }
                if (!record.CellsValid || v > record.MaxCell_mV)
                {
                    record.MaxCell_mV = v;
                    record.MaxCellIndex = i;
                }
                record.CellsValid = true;
            }
            for (int j = 0; j < s.TemperatureCount; j++)
            {
                if (s.TemperatureValid[j] && (!record.TemperatureValid || s.Temperature_dC[j] > record.MaxTemperature_dC))
                {
                    record.MaxTemperature_dC = s.Temperature_dC[j];
                    record.MaxTemperatureSensor = j;
                    record.TemperatureValid = true;
                }
            }
            record.CurrentValid = s.CurrentValid;
            record.Current_mA = s.CurrentValid ? s.Current_mA : 0;
        }

        private bool WriteSlot(int slot, FaultRecord record)
        {
            record.WriteTo(_slotBuffer, 0);
            int address = _baseAddress + slot * FaultRecord.Size;
            if (!_storage.Write(address, _slotBuffer, 0, FaultRecord.Size))
            {
                return false;
            }
            // Read back: a record only counts as stored when the memory really holds it.
            if (!_storage.Read(address, _verifyBuffer, 0, FaultRecord.Size))
            {
                return false;
            }
            for (int i = 0; i < FaultRecord.Size; i++)
            {
                if (_verifyBuffer[i] != _slotBuffer[i])
                {
                    return false;
                }
            }
            return true;
        }

        private bool ReadSlot(int slot, FaultRecord record)
        {
            return _storage.Read(_baseAddress + slot * FaultRecord.Size, _slotBuffer, 0, FaultRecord.Size)
                && record.TryReadFrom(_slotBuffer, 0);
        }

        private void Recover()
        {
            _newestSlot = -1;
            _newestSequence = 0;
            _count = 0;
            for (int slot = 0; slot < _slotCount; slot++)
            {
                if (ReadSlot(slot, _scratch) && _scratch.Sequence != 0 && (_newestSlot < 0 || _scratch.Sequence > _newestSequence))
                {
                    _newestSlot = slot;
                    _newestSequence = _scratch.Sequence;
                }
            }
            if (_newestSlot < 0)
            {
                // Empty (or unreadable) log: start at slot 0.
                _newestSlot = _slotCount - 1;
                return;
            }
            // The record d slots behind the newest must carry sequence newest - d. The log reaches back to the
            // furthest slot that does; a slot in between that no longer verifies (a flipped bit) stays counted
            // but reads as false, so one bad record does not hide the older ones.
            _count = 1;
            for (int distance = 1; distance < Capacity; distance++)
            {
                int slot = (_newestSlot - distance + _slotCount) % _slotCount;
                if (ReadSlot(slot, _scratch) && _scratch.Sequence == _newestSequence - (uint)distance)
                {
                    _count = distance + 1;
                }
            }
        }
    }
}
