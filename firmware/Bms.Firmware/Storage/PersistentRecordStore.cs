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

        // The save in progress (BeginSave .. the ContinueSave that writes the slot).
        private bool _saving;
        private bool _lastSaveOk;
        private byte[] _savePayload;
        private int _saveOffset;
        private int _saveDone;
        private uint _crc;

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
            AbandonSave();
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
        /// previous copy is then still intact). Cancels a save begun with <see cref="BeginSave"/>.</summary>
        public bool Save(byte[] payload, int offset)
        {
            BeginSave(payload, offset);
            ContinueSave(_payloadSize);
            return _lastSaveOk;
        }

        /// <summary>
        /// Finds which slot holds the newest copy, so that a later save knows which one to overwrite without
        /// reading (and checking) both copies then. Done by <see cref="Load"/>; call it at start-up otherwise.
        /// </summary>
        public void LocateNewest()
        {
            AbandonSave();
            uint seqA, seqB;
            bool a = ReadSlot(0, out seqA);
            bool b = ReadSlot(1, out seqB);
            if (a && (!b || (int)(seqA - seqB) > 0)) { _lastSlot = 0; _lastSequence = seqA; }
            else if (b) { _lastSlot = 1; _lastSequence = seqB; }
            else { _lastSlot = 1; _lastSequence = 0; }
        }

        /// <summary>true once <see cref="Load"/>, <see cref="LocateNewest"/> or a save found which slot to overwrite next.</summary>
        public bool SlotsLocated { get { return _lastSlot >= 0; } }

        /// <summary>true between <see cref="BeginSave"/> and the <see cref="ContinueSave"/> that finished it.</summary>
        public bool SaveInProgress { get { return _saving; } }

        /// <summary>Whether the last finished save reached the memory intact.</summary>
        public bool LastSaveOk { get { return _lastSaveOk; } }

        /// <summary>
        /// Starts a save that <see cref="ContinueSave"/> completes a slice at a time, so that copying and checking
        /// a long record never makes one long tick. The payload buffer must stay unchanged until the save finishes.
        /// Nothing reaches the memory before the last slice, and then the whole slot is written at once, to the
        /// slot that does not hold the newest copy: the two-copy guarantee is that of <see cref="Save"/>.
        /// A save already in progress is abandoned (it had written nothing).
        /// </summary>
        public void BeginSave(byte[] payload, int offset)
        {
            if (_lastSlot < 0)
            {
                // Not loaded yet in this session: find the newest copy so that it is not the one overwritten.
                LocateNewest();
            }
            // The header is written and checked by the first ContinueSave: this call stays short.
            _savePayload = payload;
            _saveOffset = offset;
            _saveDone = 0;
            _saving = true;
        }

        /// <summary>
        /// Copies and checks up to <paramref name="maxBytes"/> more payload bytes; after the last ones writes the slot.
        /// Returns true when the save is finished (see <see cref="LastSaveOk"/>), false while bytes remain.
        /// </summary>
        public bool ContinueSave(int maxBytes)
        {
            if (!_saving)
            {
                return true;
            }
            if (_saveDone == 0)
            {
                PutUInt(_slot, 0, Magic);
                PutUInt(_slot, 4, _lastSequence + 1);
                _slot[8] = (byte)_payloadSize;
                _slot[9] = (byte)(_payloadSize >> 8);
                _slot[10] = 0;
                _slot[11] = 0;
                _crc = Crc32.Update(Crc32.Initial, _slot, 0, HeaderSize);
            }
            int count = _payloadSize - _saveDone;
            if (count > maxBytes)
            {
                count = maxBytes;
            }
            byte[] slot = _slot;
            byte[] payload = _savePayload;
            int from = _saveOffset + _saveDone;
            int to = HeaderSize + _saveDone;
            for (int i = 0; i < count; i++)
            {
                slot[to + i] = payload[from + i];
            }
            _crc = Crc32.Update(_crc, slot, to, count);
            _saveDone += count;
            if (_saveDone < _payloadSize)
            {
                return false;
            }
            _saving = false;
            _savePayload = null;
            PutUInt(slot, HeaderSize + _payloadSize, _crc ^ 0xFFFFFFFFu);
            int target = 1 - _lastSlot;
            _lastSaveOk = _storage.Write(_baseAddress + target * _slotSize, slot, 0, _slotSize);
            if (_lastSaveOk)
            {
                _lastSlot = target;
                _lastSequence++;
            }
            return true;
        }

        // Reading uses the slot buffer that a save in progress is filling; the save had written nothing yet.
        private void AbandonSave()
        {
            _saving = false;
            _savePayload = null;
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
