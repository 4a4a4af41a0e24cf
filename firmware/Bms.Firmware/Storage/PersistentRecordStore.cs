using Bms.Hal;

namespace Bms.Firmware.Storage
{
    /// <summary>
    /// Keeps one record (for example the estimator state) in non-volatile memory so that it survives a reset,
    /// and never hands back a record that was torn by a power cut or corrupted at rest.
    /// </summary>
    /// <remarks>
    /// Two slots are written alternately. Each slot holds: magic (4 bytes), sequence number (4), payload length (2),
    /// reserved (2), payload, CRC-32 over all of the preceding bytes (4). A save goes to the slot that does not hold
    /// the newest valid copy, so an interrupted write can only damage the older copy; load takes the valid slot with
    /// the newer sequence number (serial-number arithmetic, so wrap-around is harmless). All little-endian.
    /// Buffers are allocated once in the constructor.
    /// </remarks>
    public sealed class PersistentRecordStore
    {
        /// <summary>"BMSR" little-endian.</summary>
        public const uint Magic = 0x52534D42;
        /// <summary>Header bytes before the payload.</summary>
        public const int HeaderSize = 12;
        /// <summary>Trailer bytes (CRC-32) after the payload.</summary>
        public const int TrailerSize = 4;

        private readonly INonVolatileStorage _storage;
        private readonly int _baseAddress;
        private readonly int _payloadSize;
        private readonly int _slotSize;
        private readonly byte[] _slot;
        private uint _lastSequence;
        private int _lastSlot = -1;

        /// <summary>Reserves two slots of <see cref="SlotSize"/> bytes from <paramref name="baseAddress"/>.</summary>
        public PersistentRecordStore(INonVolatileStorage storage, int baseAddress, int payloadSize)
        {
            if (storage == null) throw new System.ArgumentNullException("storage");
            if (payloadSize < 1 || payloadSize > 0xFFFF) throw new System.ArgumentOutOfRangeException("payloadSize");
            _storage = storage;
            _baseAddress = baseAddress;
            _payloadSize = payloadSize;
            _slotSize = HeaderSize + payloadSize + TrailerSize;
            if (baseAddress < 0 || baseAddress + 2 * _slotSize > storage.Size) throw new System.ArgumentOutOfRangeException("baseAddress");
            _slot = new byte[_slotSize];
        }

        /// <summary>Bytes the store occupies for a payload of <paramref name="payloadSize"/> bytes (two slots).</summary>
        public static int StorageSize(int payloadSize)
        {
            return 2 * (HeaderSize + payloadSize + TrailerSize);
        }

        /// <summary>Bytes of one slot; the store occupies twice this.</summary>
        public int SlotSize { get { return _slotSize; } }
        /// <summary>Sequence number of the record last loaded or saved.</summary>
        public uint LastSequence { get { return _lastSequence; } }

        /// <summary>Loads the newest intact record into <paramref name="payload"/>; false if neither copy verifies
        /// (nothing is written to the buffer then).</summary>
        public bool Load(byte[] payload, int offset)
        {
            uint seqA, seqB;
            bool a = ReadSlot(0, out seqA);
            bool b = ReadSlot(1, out seqB);
            if (!a && !b) return false;
            int pick = !a ? 1 : (!b ? 0 : ((int)(seqB - seqA) > 0 ? 1 : 0));
            uint seq;
            if (!ReadSlot(pick, out seq)) return false; // changed under us: refuse rather than guess
            for (int i = 0; i < _payloadSize; i++) payload[offset + i] = _slot[HeaderSize + i];
            _lastSequence = seq;
            _lastSlot = pick;
            return true;
        }

        /// <summary>Saves a new copy over the older slot. false if the memory reported a failed or cut write (the
        /// previous copy is then still intact).</summary>
        public bool Save(byte[] payload, int offset)
        {
            if (_lastSlot < 0)
            {
                // Not loaded yet in this session: find the newest copy so that it is not the one overwritten.
                uint seqA, seqB;
                bool a = ReadSlot(0, out seqA);
                bool b = ReadSlot(1, out seqB);
                if (a && (!b || (int)(seqA - seqB) > 0)) { _lastSlot = 0; _lastSequence = seqA; }
                else if (b) { _lastSlot = 1; _lastSequence = seqB; }
                else { _lastSlot = 1; _lastSequence = 0; }
            }
            int target = 1 - _lastSlot;
            uint sequence = _lastSequence + 1;
            PutUInt(_slot, 0, Magic);
            PutUInt(_slot, 4, sequence);
            _slot[8] = (byte)_payloadSize;
            _slot[9] = (byte)(_payloadSize >> 8);
            _slot[10] = 0;
            _slot[11] = 0;
            for (int i = 0; i < _payloadSize; i++) _slot[HeaderSize + i] = payload[offset + i];
            uint crc = Crc32.Compute(_slot, 0, HeaderSize + _payloadSize);
            PutUInt(_slot, HeaderSize + _payloadSize, crc);
            bool ok = _storage.Write(_baseAddress + target * _slotSize, _slot, 0, _slotSize);
            if (!ok) return false;
            _lastSlot = target;
            _lastSequence = sequence;
            return true;
        }

        private bool ReadSlot(int slot, out uint sequence)
        {
            sequence = 0;
            if (!_storage.Read(_baseAddress + slot * _slotSize, _slot, 0, _slotSize)) return false;
            if (GetUInt(_slot, 0) != Magic) return false;
            int length = _slot[8] | (_slot[9] << 8);
            if (length != _payloadSize || _slot[10] != 0 || _slot[11] != 0) return false;
            uint stored = GetUInt(_slot, HeaderSize + _payloadSize);
            if (Crc32.Compute(_slot, 0, HeaderSize + _payloadSize) != stored) return false;
            sequence = GetUInt(_slot, 4);
            return true;
        }

        private static void PutUInt(byte[] b, int p, uint v)
        {
            b[p] = (byte)v; b[p + 1] = (byte)(v >> 8); b[p + 2] = (byte)(v >> 16); b[p + 3] = (byte)(v >> 24);
        }

        private static uint GetUInt(byte[] b, int p)
        {
            return (uint)(b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24));
        }
    }
}
