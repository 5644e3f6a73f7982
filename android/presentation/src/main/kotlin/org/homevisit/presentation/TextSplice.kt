package org.homevisit.presentation

/**
 * One contiguous text change, in UTF-16 units (as Kotlin strings and `splice_note` count them):
 * delete [deleteCount] units at [position], insert [inserted] there.
 */
data class TextSplice(val position: Int, val deleteCount: Int, val inserted: String) {
    private val end get() = position + deleteCount
    private val delta get() = inserted.length - deleteCount

    fun applyTo(text: String): String = text.substring(0, position) + inserted + text.substring(end)

    /**
     * Where [p] (a cursor in the text before this change) is after it. A cursor at the very place
     * of an insertion stays before the inserted text: the user keeps typing their own sentence.
     */
    fun mapPosition(p: Int): Int = when {
        p <= position -> p
        p >= end -> p + delta
        else -> position + inserted.length // inside what was replaced: after the replacement
    }

    fun mapSelection(s: TextSelection): TextSelection = TextSelection(mapPosition(s.start), mapPosition(s.end))

    /**
     * This change, made to the same text as [other], moved onto the text after [other]. Where
     * both insert at the same place, [thisFirst] says whose words come first. Where the ranges
     * overlap, this change's deletion is trimmed so it never deletes the other's inserted words.
     */
    fun rebase(other: TextSplice, thisFirst: Boolean): TextSplice {
        val otherEnd = other.position + other.deleteCount
        val otherInsertedEnd = other.position + other.inserted.length
        if (deleteCount == 0 && other.deleteCount == 0 && position == other.position) {
            return if (thisFirst) this else copy(position = position + other.inserted.length)
        }
        return when {
            end <= other.position -> this
            position >= otherEnd -> copy(position = position + other.delta)
            position < other.position -> copy(deleteCount = other.position - position)
            end > otherEnd -> TextSplice(otherInsertedEnd, end - otherEnd, inserted)
            else -> TextSplice(otherInsertedEnd, 0, inserted)
        }
    }

    companion object {
        /**
         * The one splice that turns [old] into [new] (common prefix and suffix kept), or null if
         * they are equal. Never cuts a surrogate pair in two: `splice_note` refuses such a position.
         */
        fun between(old: String, new: String): TextSplice? {
            if (old == new) return null
            val max = minOf(old.length, new.length)
            var prefix = 0
            while (prefix < max && old[prefix] == new[prefix]) prefix++
            if (prefix > 0 && Character.isHighSurrogate(old[prefix - 1])) prefix--
            var suffix = 0
            while (suffix < max - prefix && old[old.length - 1 - suffix] == new[new.length - 1 - suffix]) suffix++
            if (suffix > 0 && Character.isLowSurrogate(old[old.length - suffix])) suffix--
            return TextSplice(prefix, old.length - prefix - suffix, new.substring(prefix, new.length - suffix))
        }
    }
}

/** A text field's selection (a cursor when [start] == [end]), in UTF-16 units. */
data class TextSelection(val start: Int, val end: Int = start) {
    fun coerceIn(length: Int) = TextSelection(start.coerceIn(0, length), end.coerceIn(0, length))
}
